"""Demo members for seed_demo. Other apps add their own demo data on top of these users."""

import random

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password

from profiles.models import User

DEMO_DOMAIN = "gilda.demo"

# The personas of the tests and the README, first; then a crowd of plausible members.
NAMED_MEMBERS = [
    ("alice", "Alice Romano"),
    ("bob", "Roberto Bianchi"),
    ("carol", "Carolina Esposito"),
    ("dave", "Davide Ricci"),
    ("erin", "Erica Marino"),
]
FIRST_NAMES = [
    "Giulia",
    "Marco",
    "Francesca",
    "Luca",
    "Chiara",
    "Matteo",
    "Sara",
    "Andrea",
    "Valentina",
    "Alessandro",
    "Martina",
    "Lorenzo",
    "Elena",
    "Simone",
    "Federica",
    "Davide",
    "Silvia",
    "Giorgio",
    "Anna",
    "Paolo",
    "Laura",
    "Stefano",
    "Elisa",
    "Fabio",
    "Beatrice",
    "Nicola",
]
LAST_NAMES = [
    "Rossi",
    "Russo",
    "Ferrari",
    "Colombo",
    "Bruno",
    "Gallo",
    "Conti",
    "De Luca",
    "Mancini",
    "Costa",
    "Giordano",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Barbieri",
    "Fontana",
    "Santoro",
    "Mariani",
    "Rinaldi",
    "Caruso",
    "Ferrara",
    "Galli",
    "Martini",
    "Leone",
    "Longo",
]


def _verified_user(email: str, display_name: str, password: str, **extra) -> tuple[User, bool]:
    user, created = User.objects.get_or_create(
        email=email, defaults={"display_name": display_name, "password": password, **extra}
    )
    if created:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user, created


def seed_members(rng: random.Random, crowd: int = 40) -> list[User]:
    # One hash for everybody: hashing per user would make seeding take seconds per member.
    password = make_password(settings.GILDA_DEMO_PASSWORD)
    _verified_user(
        f"admin@{DEMO_DOMAIN}", "Amministratore Gilda", password, is_staff=True, is_superuser=True
    )
    members = [
        _verified_user(f"{slug}@{DEMO_DOMAIN}", name, password)[0] for slug, name in NAMED_MEMBERS
    ]
    for index in range(crowd):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        members.append(_verified_user(f"membro{index:03d}@{DEMO_DOMAIN}", name, password)[0])
    return members
