"""Demo members for seed_demo. Other apps add their own demo data on top of these users."""

import random

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from profiles import gazetteer
from profiles.models import Experience, Profile, Sector, Skill, SpokenLanguage, User

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
    # Demo members have done their first visit; a fresh signup shows the path.
    defaults = {"display_name": display_name, "password": password, "onboarded_at": timezone.now()}
    user, created = User.objects.get_or_create(email=email, defaults=defaults | extra)
    if created:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user, created


def seed_members(rng: random.Random, crowd: int = 40, *, admin: bool = False) -> list[User]:
    """The personas and the crowd; with admin=True (dev only: its password is in the README)
    also a superuser, admin@gilda.demo."""
    # One hash for everybody: hashing per user would make seeding take seconds per member.
    password = make_password(settings.GILDA_DEMO_PASSWORD)
    if admin:
        _verified_user(
            f"admin@{DEMO_DOMAIN}",
            "Amministratore Gilda",
            password,
            is_staff=True,
            is_superuser=True,
        )
    members = [
        _verified_user(f"{slug}@{DEMO_DOMAIN}", name, password)[0] for slug, name in NAMED_MEMBERS
    ]
    for index in range(crowd):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        members.append(_verified_user(f"membro{index:03d}@{DEMO_DOMAIN}", name, password)[0])
    return members


# Profiles: per sector, (headlines, skills, needs, offers, roles). Cities are real comuni from
# the gazetteer, weighted towards where professionals actually are.
PROFILE_KITS = {
    "social-media-marketing": (
        [
            "Social media manager per PMI",
            "Strategie social per il food",
            "Ads e funnel per e-commerce",
        ],
        [
            "Social media strategy",
            "Meta Ads",
            "Instagram",
            "TikTok",
            "Copywriting",
            "Analytics",
            "Community management",
        ],
        [
            "Un fotografo per shooting di prodotto",
            "Clienti nel settore turismo",
            "Un consulente per Google Ads",
        ],
        ["Audit gratuito del profilo Instagram", "Piani editoriali", "Formazione sulle Ads"],
        ["Social media manager", "Content creator", "Digital marketing specialist"],
    ),
    "scrittura-ed-editoria": (
        [
            "Copywriter per brand e-commerce",
            "Redattrice e editor freelance",
            "Naming e tono di voce",
        ],
        ["Copywriting", "SEO", "Editing", "Naming", "Storytelling", "UX writing", "Traduzione"],
        ["Un grafico per un progetto editoriale", "Nuovi clienti B2B", "Un editor per un romanzo"],
        ["Revisione di testi", "Schede prodotto", "Mentoring per chi inizia"],
        ["Copywriter", "Editor", "Content strategist"],
    ),
    "design": (
        ["Brand designer", "UI/UX designer per app", "Illustratrice e grafica"],
        ["Brand identity", "Figma", "UI design", "UX research", "Illustrazione", "Packaging"],
        ["Uno sviluppatore front-end", "Una stamperia affidabile", "Clienti nel vino"],
        ["Revisione di portfolio", "Loghi e identità", "Workshop di Figma"],
        ["Graphic designer", "UX designer", "Art director"],
    ),
    "sviluppo-software": (
        ["Sviluppatore Django e Python", "Front-end developer", "Consulente cloud"],
        [
            "Python",
            "Django",
            "JavaScript",
            "PostgreSQL",
            "DevOps",
            "React",
            "Sicurezza informatica",
        ],
        [
            "Un designer per un gestionale",
            "Progetti open source",
            "Un commercialista per la partita IVA",
        ],
        ["Code review", "Siti per piccole attività", "Mentoring su Python"],
        ["Software engineer", "Full-stack developer", "CTO"],
    ),
    "acconciatura-ed-estetica": (
        ["Parrucchiera a domicilio", "Barbiere e formatore", "Estetista e make-up artist"],
        ["Colorazione", "Taglio uomo", "Make-up", "Gestione del salone", "Trattamenti viso"],
        ["Un social media manager", "Fornitori di prodotti bio", "Un collaboratore per il sabato"],
        ["Corsi di taglio", "Consigli sulla gestione del salone"],
        ["Parrucchiere", "Barbiere", "Titolare di salone"],
    ),
    "ristorazione": (
        ["Chef e consulente per ristoranti", "Pasticcera", "Sommelier"],
        ["Cucina regionale", "Food cost", "Pasticceria", "Vini", "HACCP", "Gestione del personale"],
        ["Un fotografo per il menu", "Fornitori a km zero", "Un socio per un bistrot"],
        ["Consulenze sul food cost", "Carte dei vini", "Formazione HACCP"],
        ["Chef", "Sous chef", "Responsabile di sala"],
    ),
    "legale": (
        ["Avvocata giuslavorista", "Consulente privacy e GDPR", "Avvocato d'impresa"],
        ["Diritto del lavoro", "GDPR", "Contratti", "Proprietà intellettuale", "Mediazione"],
        ["Clienti startup", "Un commercialista con cui collaborare"],
        ["Prima consulenza sui contratti", "Check-up GDPR per siti"],
        ["Avvocato", "Consulente legale", "DPO"],
    ),
    "contabilita-e-fisco": (
        ["Commercialista per freelance", "Consulente fiscale per e-commerce"],
        ["Regime forfettario", "Bilanci", "Fatturazione elettronica", "Fisco internazionale"],
        ["Clienti creativi", "Un gestionale semplice"],
        ["Aiuto con la partita IVA", "Pianificazione fiscale"],
        ["Commercialista", "Consulente fiscale"],
    ),
}
DEMO_PLACES = [
    "Milano", "Roma", "Torino", "Napoli", "Bologna", "Firenze", "Bari", "Palermo", "Genova",
    "Verona", "Padova", "Bergamo", "Brescia", "Monza", "Rho", "Lecce", "Cagliari", "Trento",
    "Parma", "Modena", "Perugia", "Ancona", "Pescara", "Salerno", "Catania", "Udine", "Treviso",
]  # fmt: skip
BIOS = [
    "Lavoro da **{years} anni** come {role}. Mi piace risolvere problemi concreti con persone "
    "che hanno voglia di imparare.",
    "{role} con base a {city}. Credo nelle collaborazioni lunghe, nei brief chiari e nei "
    "feedback sinceri.",
    "Ho iniziato quasi per caso e oggi lavoro come {role} a tempo pieno. Qui per *chiedere*, "
    "rispondere e conoscere colleghi.",
]
ORGANISATIONS = [
    "Freelance",
    "Studio Aurora",
    "Officina Creativa",
    "Bottega Digitale",
    "Gruppo Levante",
]


def seed_profiles(rng: random.Random, members: list[User]) -> None:
    """Give every demo member a varied, complete-ish profile. Overwrites the demo members'
    profiles with the same data for the same seed, so it is safe to rerun."""
    sectors = {sector.slug: sector for sector in Sector.objects.filter(slug__in=PROFILE_KITS)}
    kits = [slug for slug in PROFILE_KITS if slug in sectors]
    places = [gazetteer.find(name) for name in DEMO_PLACES]
    skills: dict[str, Skill] = {}
    for member in members:
        slug = rng.choice(kits)
        headlines, skill_names, needs, offers, roles = PROFILE_KITS[slug]
        place = rng.choice(places)
        role = rng.choice(roles)
        years = rng.randint(2, 20)
        profile = member.profile
        profile.headline = rng.choice(headlines)
        profile.sector = sectors[slug]
        profile.bio = rng.choice(BIOS).format(years=years, role=role.lower(), city=place.name)
        profile.needs = rng.choice(needs)
        profile.offers = rng.choice(offers)
        profile.open_to = rng.choice([choice for choice, _label in Profile.OpenTo.choices])
        profile.location_visibility = (
            Profile.LocationVisibility.REGION
            if rng.random() < 0.2
            else Profile.LocationVisibility.CITY
        )
        profile.website = (
            f"https://{member.email.split('@')[0]}.example.com" if rng.random() < 0.5 else ""
        )
        profile.set_location(place)
        profile.save()
        chosen = rng.sample(skill_names, k=min(len(skill_names), rng.randint(3, 6)))
        for name in chosen:
            if name not in skills:
                skills[name] = Skill.objects.get_or_create(
                    name=name, defaults={"is_approved": True}
                )[0]
        profile.skills.set([skills[name] for name in chosen])
        profile.experiences.all().delete()
        start = 2025 - years
        Experience.objects.bulk_create(
            [
                Experience(
                    profile=profile,
                    role=rng.choice(roles),
                    organisation=rng.choice(ORGANISATIONS),
                    start_year=start,
                    end_year=start + years // 2,
                ),
                Experience(
                    profile=profile,
                    role=role,
                    organisation=rng.choice(ORGANISATIONS),
                    start_year=start + years // 2,
                ),
            ]
        )
        profile.languages.all().delete()
        codes = ["it", *rng.sample(["en", "fr", "de", "es"], k=rng.randint(0, 2))]
        SpokenLanguage.objects.bulk_create(
            [SpokenLanguage(profile=profile, code=code) for code in codes]
        )
