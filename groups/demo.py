"""Demo groups for seed_demo: open and closed groups in several sectors, with owners,
moderators, members and pending requests. Reproducible from the rng seed_demo passes."""

import random

from groups.models import Group, JoinRequest, Membership, Sector
from profiles.models import User

# (slug, name, sector slug, visibility, owner index, question, description, rules)
DEMO_GROUPS = [
    (
        "copywriter-italia",
        "Copywriter Italia",
        "scrittura-ed-editoria",
        "closed",
        0,
        "Per chi scrivi oggi? Raccontaci in due righe il tuo lavoro.",
        "Il gruppo di chi scrive per mestiere: **copy**, contenuti, naming, tono di voce.\n\n"
        "Si chiede, si risponde, si condividono esperienze. Niente autopromozione.",
        "1. Rispetto per i colleghi.\n2. Niente link promozionali.\n"
        "3. Le offerte di lavoro vanno nel thread del venerdì.",
    ),
    (
        "social-media-manager",
        "Social media manager",
        "social-media-marketing",
        "open",
        1,
        "",
        "Strategie, strumenti, clienti difficili e algoritmi che cambiano ogni settimana.",
        "Siate gentili. Citate le fonti.",
    ),
    (
        "parrucchieri-e-barbieri",
        "Parrucchieri e barbieri",
        "acconciatura-ed-estetica",
        "open",
        3,
        "",
        "Tecniche, prodotti, gestione del salone e dei clienti.",
        "Nessuna pubblicità di prodotti senza dichiararlo.",
    ),
    (
        "avvocati-del-lavoro",
        "Avvocati del lavoro",
        "legale",
        "closed",
        3,
        "In quale foro eserciti e da quanti anni?",
        "Confronto tra professionisti su casi, sentenze e prassi. Riservato agli avvocati.",
        "Riservatezza assoluta: nessun dato dei clienti.",
    ),
    (
        "sviluppatori-python",
        "Sviluppatori Python",
        "sviluppo-software",
        "open",
        4,
        "",
        "Django, FastAPI, dati e automazione. Dal primo script al deploy.",
        "Codice nei blocchi `code`. Domande chiare, risposte gentili.",
    ),
    (
        "commercialisti-in-rete",
        "Commercialisti in rete",
        "contabilita-e-fisco",
        "closed",
        4,
        "Sei iscritto all'albo? In quale provincia?",
        "Scadenze, circolari, software gestionali e clienti: ci si aiuta.",
        "Niente consulenze gratuite a privati: è un gruppo tra colleghi.",
    ),
]


def seed_groups(rng: random.Random, people: list[User]) -> list[Group]:
    alice, bob, carol, dave, erin, *crowd = people
    sectors = {sector.slug: sector for sector in Sector.objects.all()}
    groups = []
    for slug, name, sector, visibility, owner, question, description, rules in DEMO_GROUPS:
        existing = Group.objects.filter(slug=slug).first()
        if existing is not None:
            groups.append(existing)
            continue
        group = Group.create_with_owner(
            people[owner],
            slug=slug,
            name=name,
            sector=sectors[sector],
            visibility=visibility,
            membership_question=question,
            description=description,
            rules=rules,
            is_featured=slug in {"copywriter-italia", "sviluppatori-python"},
        )
        # Leave a few of the crowd outside every group, to ask to join.
        pool = crowd[:-8]
        for member in rng.sample(pool, k=min(len(pool), rng.randint(6, 14))):
            group.add_member(member)
        groups.append(group)

    copywriters = groups[0]
    if not JoinRequest.objects.filter(group=copywriters).exists():
        copywriters.add_member(bob)
        seat = copywriters.add_member(erin)
        if seat is not None:
            copywriters.set_role(seat, Membership.Role.MODERATOR, by=alice)
        copywriters.request_to_join(
            carol,
            answer="Scrivo schede prodotto e newsletter per e-commerce di moda.",
            note="Mi ha parlato del gruppo Roberto.",
        )
        waiting = outsiders(copywriters, crowd)
        for person in rng.sample(waiting, k=min(len(waiting), 4)):
            copywriters.request_to_join(
                person, answer=rng.choice(ANSWERS), note=rng.choice(["", "Grazie!"])
            )
    lawyers = groups[3]
    if not JoinRequest.objects.filter(group=lawyers).exists():
        waiting = outsiders(lawyers, crowd)
        for person in rng.sample(waiting, k=min(len(waiting), 3)):
            lawyers.request_to_join(person, answer="Foro di Milano, dal 2015.")
    for group in groups:
        group.refresh_from_db()
    return groups


def outsiders(group: Group, crowd: list[User]) -> list[User]:
    seated = set(group.memberships.values_list("user_id", flat=True))
    return [person for person in crowd if person.pk not in seated]


ANSWERS = [
    "Lavoro in agenzia, soprattutto campagne social e landing page.",
    "Freelance: articoli per blog aziendali e ghostwriting.",
    "Scrivo testi per il web per studi professionali.",
    "Sono redattrice in una casa editrice, vorrei confrontarmi con chi fa copy.",
]
