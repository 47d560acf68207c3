"""Demo groups for seed_demo: open and closed groups in several sectors, with owners,
moderators, members and pending requests. Reproducible from the rng seed_demo passes."""

import random
from datetime import timedelta

from django.utils import timezone

from groups.models import (
    Comment,
    Event,
    Group,
    JoinRequest,
    Membership,
    Post,
    Rsvp,
    Sector,
    ThreadWatch,
)
from profiles import gazetteer
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
    seed_threads(rng, groups)
    seed_events(rng, groups)
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


# Q&A threads: (group slug, title, body, [answers]); the first answer of a thread marked "*"
# is accepted. Threads without answers feed the "unanswered" nudge.
DEMO_THREADS = [
    (
        "copywriter-italia",
        "Quanto far pagare un naming per una startup?",
        "Una startup fintech mi chiede **nome e payoff**. Voi come impostate il preventivo: "
        "a forfait, a giornata o a proposta?",
        [
            "*Io lavoro a forfait in due fasi: esplorazione (30-40 nomi) e rosa finale con "
            "verifica preliminare sui marchi. Sotto i 1.500 € non scendo: la ricerca di "
            "anteriorità da sola porta via una giornata.",
            "Aggiungo: mettete per iscritto quante revisioni sono incluse. Il naming è il "
            "lavoro dove il cliente cambia idea più spesso.",
        ],
    ),
    (
        "copywriter-italia",
        "Tu o lei nelle newsletter B2B?",
        "Un cliente del settore industriale vuole il *lei*, ma le newsletter suonano "
        "ingessate. Avete dati o esperienze su tassi di apertura e risposte?",
        [
            "Nel B2B tecnico il *lei* regge ancora, ma si può alleggerire il resto: frasi brevi, "
            "oggetto diretto, una sola call to action.",
        ],
    ),
    (
        "copywriter-italia",
        "Revisioni infinite: come le limitate nel contratto?",
        "Mi capita sempre più spesso: al quinto giro di correzioni il testo è peggiorato. "
        "Che clausole usate?",
        [],
    ),
    (
        "social-media-manager",
        "Reel o caroselli per un ristorante di quartiere?",
        "Budget piccolo, due post a settimana. Meglio puntare sui reel o sui caroselli con "
        "il menu del giorno?",
        [
            "*Reel brevi girati in cucina, con il telefono: funzionano meglio delle foto "
            "perfette. I caroselli tienili per il menu della settimana.",
            "Io proverei anche le storie con il sondaggio sul piatto del giorno: costano poco e "
            "portano messaggi diretti.",
        ],
    ),
    (
        "social-media-manager",
        "Come presentare i risultati mensili a un cliente che guarda solo i like?",
        "Vorrei spostare l'attenzione su salvataggi e messaggi ricevuti. Che formato di report "
        "usate?",
        [
            "Una pagina sola: tre numeri legati agli obiettivi (contatti, prenotazioni, "
            "salvataggi) e un confronto con il mese prima. I like in fondo, piccoli.",
        ],
    ),
    (
        "parrucchieri-e-barbieri",
        "Come gestite i clienti che non si presentano all'appuntamento?",
        "Tre buchi solo questa settimana. Caparra, promemoria o lista nera?",
        [
            "*Promemoria su WhatsApp il giorno prima e caparra solo per colore e trattamenti "
            "lunghi. I buchi si sono dimezzati.",
            "Da noi ha funzionato la lista d'attesa: chi disdice libera il posto e lo "
            "offriamo subito.",
        ],
    ),
    (
        "parrucchieri-e-barbieri",
        "Prodotti professionali in rivendita: conviene?",
        "Sto valutando un espositore in salone. Che margini avete e quanto spazio serve?",
        [],
    ),
    (
        "avvocati-del-lavoro",
        "Licenziamento per giusta causa e prova delle chat aziendali",
        "Il datore di lavoro vuole produrre messaggi di una chat interna. Quali limiti "
        "vedete sull'utilizzabilità, anche alla luce della normativa privacy?",
        [
            "*Conta molto la policy aziendale sugli strumenti di lavoro: se il dipendente era "
            "informato dei controlli, i margini sono più ampi. Senza informativa adeguata il "
            "rischio di inutilizzabilità è concreto.",
        ],
    ),
    (
        "sviluppatori-python",
        "Django o FastAPI per un gestionale interno?",
        "Piccola azienda, dieci utenti, tanti form e qualche report. Da dove partireste?",
        [
            "*Django, senza dubbi: admin, form, autenticazione e migrazioni pronti. Per dieci "
            "utenti e tanti form FastAPI vi farebbe riscrivere metà di Django.",
            "Concordo. Aggiungete htmx per le parti interattive e non vi serve un frontend "
            "separato.",
            "FastAPI ha senso se prevedete soprattutto API per un'app mobile; qui non sembra.",
        ],
    ),
    (
        "sviluppatori-python",
        "Come testate le migrazioni su PostgreSQL in CI?",
        "Localmente uso SQLite e in produzione PostgreSQL: ogni tanto una migrazione passa "
        "qui e fallisce là.",
        [
            "Un servizio PostgreSQL nella pipeline e `makemigrations --check`: costa un minuto "
            "e vi risparmia le sorprese del venerdì sera.",
        ],
    ),
    (
        "commercialisti-in-rete",
        "Fatturazione elettronica: quale software per uno studio piccolo?",
        "Siamo in tre, circa duecento clienti in regime forfettario. Cosa usate e quanto "
        "spendete l'anno?",
        [
            "*Noi siamo passati a un gestionale in cloud con conservazione sostitutiva inclusa: "
            "il costo per cliente è sceso e le notifiche di scarto arrivano subito.",
        ],
    ),
    (
        "commercialisti-in-rete",
        "Scadenze di luglio: come organizzate i promemoria ai clienti?",
        "Ogni anno rincorro i documenti all'ultimo momento. Modelli di email o strumenti?",
        [],
    ),
]

COMMENTS = [
    "Grazie, molto utile.",
    "Lo proverò questa settimana e vi dico.",
    "Hai un esempio concreto?",
    "Confermo, anche nella mia esperienza.",
]


def seed_threads(rng: random.Random, groups: list[Group]) -> int:
    """Realistic threads with votes, comments and accepted answers; skipped for groups that
    already have posts, so reruns add nothing."""
    by_slug = {group.slug: group for group in groups}
    now = timezone.now()
    created = 0
    for slug, title, body, answers in DEMO_THREADS:
        group = by_slug.get(slug)
        if group is None or group.posts.filter(title=title).exists():
            continue
        people = [m.user for m in group.memberships.select_related("user").order_by("pk")]
        if len(people) < 2:
            continue
        asker, *others = rng.sample(people, k=len(people))
        asked_at = now - timedelta(days=rng.randint(2, 25), hours=rng.randint(0, 23))
        question = Post.objects.create(
            group=group,
            kind=Post.Kind.QUESTION,
            author=asker,
            title=title,
            body=body,
            created_at=asked_at,
            last_activity_at=asked_at,
        )
        ThreadWatch.objects.get_or_create(question=question, user=asker)
        last = asked_at
        for index, text in enumerate(answers):
            last = last + timedelta(hours=rng.randint(1, 30))
            answer = Post.objects.create(
                group=group,
                kind=Post.Kind.ANSWER,
                question=question,
                author=others[index % len(others)],
                body=text.lstrip("*"),
                is_accepted=text.startswith("*"),
                created_at=last,
                last_activity_at=last,
            )
            for voter in rng.sample(others, k=min(len(others), rng.randint(0, 5))):
                if voter != answer.author:
                    answer.vote(voter, rng.choice([1, 1, 1, -1]))
            if rng.random() < 0.4:
                Comment.objects.create(
                    post=answer, author=asker, body=rng.choice(COMMENTS), created_at=last
                )
        for voter in rng.sample(others, k=min(len(others), rng.randint(0, 4))):
            question.vote(voter, 1)
        Post.objects.filter(pk=question.pk).update(answer_count=len(answers), last_activity_at=last)
        created += 1
    Post.objects.filter(group__in=groups).update_search_vectors()
    return created


def seed_events(rng: random.Random, groups: list[Group]) -> int:
    """Upcoming and past meetups: an aperitivo in Milano with a quorum, an online webinar,
    and a past breakfast whose attendees were marked present ("people you met")."""
    if Event.objects.exists():
        return 0
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    milano, roma = gazetteer.find("Milano"), gazetteer.find("Roma")
    copywriters, *others = groups
    open_group = next(group for group in others if group.is_open)

    def at(place):
        return {
            "geoname_id": place.geoname_id,
            "city": place.name,
            "region": place.region,
            "latitude": place.latitude,
            "longitude": place.longitude,
        }

    plans = [
        (copywriters, {
            "title": "Aperitivo dei copywriter milanesi",
            "description": "Due chiacchiere su **tariffe, clienti e strumenti**. Porta un caso.",
            "address": "Via Tortona 27", "capacity": 10, "quorum": 3,
            "quorum_deadline": now + timedelta(days=8),
            "starts_at": now + timedelta(days=10, hours=2),
            **at(milano),
        }),
        (open_group, {
            "title": "Webinar: analisi dei dati social in un'ora",
            "description": "Online, con domande e risposte alla fine.",
            "format": Event.Format.ONLINE, "online_url": "https://meet.example.com/gilda-demo",
            "starts_at": now + timedelta(days=4, hours=3),
        }),
        (copywriters, {
            "title": "Colazione di lavoro a Roma",
            "address": "Piazza di Spagna 1", "capacity": 15,
            "starts_at": now - timedelta(days=12), **at(roma),
        }),
    ]  # fmt: skip
    made = 0
    for group, fields in plans:
        starts = fields["starts_at"]
        organiser = group.moderators().first().user
        event = Event.objects.create(
            group=group, organiser=organiser, ends_at=starts + timedelta(hours=2), **fields
        )
        members = [m.user for m in group.memberships.select_related("user").order_by("pk")]
        going = members[: min(len(members), rng.randint(4, 7))]
        if event.starts_at < now:
            # Past: the replies were taken before it started.
            for user in going:
                Rsvp.objects.create(event=event, user=user, answer=Rsvp.Answer.GOING)
            Event.objects.filter(pk=event.pk).update(going_count=len(going))
            event.mark_attended([user.pk for user in going[:-1]])
        else:
            for user in going:
                event.rsvp(user, Rsvp.Answer.GOING)
        made += 1
    return made
