"""Fill a benchmark database with a community of realistic size, reproducibly from a seed.

    make seed-large       # DATABASE_URL=postgres://…/gilda_bench_pages, wiped and refilled
    .venv/bin/python -m bench.seed_large [--scale 0.1] [--seed 2026]

At --scale 1: 20,000 members, 300 groups (sizes skewed: the largest ~5,000), 60,000 memberships,
30,000 questions, 150,000 answers, 100,000 votes, 30,000 comments, 150,000 connections (a
preferential-attachment graph: hub members). Group 1 (the largest) is open, group 2 closed;
the benchmark viewer belongs to both, and group 1 holds a thread with 100 answers and one with
5. Rows go in with COPY; counters, scores and the search vectors are then computed in SQL.
The demo seed (`manage.py seed_demo`) is separate and untouched.
"""

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from bench import setup_django

VIEWER_EMAIL = "viewer@bench.gilda"
OTHER_EMAIL = "other@bench.gilda"
PASSWORD = "bench-pages-2026"
FULL = {
    "members": 20_000,
    "groups": 300,
    "memberships": 60_000,
    "questions": 30_000,
    "answers": 150_000,
    "votes": 100_000,
    "comments": 30_000,
    "connections": 150_000,
    "events": 3_000,
    "conversations": 10_000,
    "messages": 80_000,
}
WORDS = (  # noqa: SIM905
    "progetto cliente social campagna budget preventivo fattura contratto strategia contenuti "
    "copywriting brand logo sito web ottimizzazione seo advertising instagram linkedin tiktok "
    "newsletter formazione corso consulenza parrucchiere taglio colore avvocato causa udienza "
    "parere tariffa commercialista partita iva regime forfettario fotografia matrimonio evento "
    "cantiere ristrutturazione permesso comune bando finanziamento startup marketing vendita "
    "negozio magazzino spedizione fornitore qualità tempo scadenza collaborazione squadra "
    "freelance agenzia studio ufficio software gestionale dati privacy gdpr sicurezza rete"
).split()
TABLES = (
    "connections_message",
    "connections_participant",
    "connections_conversation",
    "groups_rsvp",
    "groups_event",
    "profiles_notification",
    "groups_threadwatch",
    "groups_comment",
    "groups_vote",
    "groups_post",
    "groups_membership",
    "groups_group",
    "connections_connection",
    "profiles_profile",
    "account_emailaddress",
    "profiles_user",
)


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total_steps: int):
        self.total, self.done, self.started = total_steps, 0, time.perf_counter()

    def step(self, label: str) -> None:
        self.done += 1
        width = 30
        filled = int(width * self.done / self.total)
        elapsed = time.perf_counter() - self.started
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
            f"{label:<32} {elapsed:6.1f} s"
        )
        sys.stderr.flush()
        if self.done == self.total:
            sys.stderr.write("\n")


def group_sizes(groups: int, memberships: int, members: int) -> np.ndarray:
    """Zipf-like sizes summing to `memberships`, the largest about a quarter of the members."""
    largest = min(members, max(5, members // 4))
    low, high = 0.0, 3.0
    for _ in range(60):  # bisect the exponent so the sizes add up
        exponent = (low + high) / 2
        sizes = np.maximum(5, largest / np.arange(1, groups + 1) ** exponent)
        if sizes.sum() > memberships:
            low = exponent
        else:
            high = exponent
    sizes = np.minimum(np.round(sizes).astype(np.int64), members)
    sizes[-1] += memberships - sizes.sum()
    return np.maximum(sizes, 2)


def sentence(rng: np.random.Generator, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS, rng.integers(low, high)))


def column_defaults(table: str, columns: tuple[str, ...]) -> dict[str, object]:
    """The model defaults of the NOT NULL columns a COPY leaves out: Django keeps defaults in
    Python, so a field added later (a suspension reason, a setting) would otherwise break the
    seed with a not-null violation."""
    from django.apps import apps
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    given = {column.strip('"') for column in columns}
    defaults = {}
    for field in model._meta.concrete_fields:
        if field.column in given or field.null or field.primary_key:
            continue
        if field.default is not NOT_PROVIDED:
            defaults[f'"{field.column}"'] = field.get_db_prep_save(field.get_default(), connection)
        elif field.empty_strings_allowed and field.blank:
            defaults[f'"{field.column}"'] = ""
    return defaults


def text_defaults(table: str, columns: tuple[str, ...]) -> tuple[str, str]:
    """For a COPY in text format built by hand: the columns column_defaults() adds (", a, b")
    and the matching end of every line ("\tx\ty")."""
    extra = column_defaults(table, columns)

    def text(value) -> str:
        if isinstance(value, bool):
            return "t" if value else "f"
        if hasattr(value, "obj"):  # psycopg's Jsonb
            value = json.dumps(value.obj)
        return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    names = "".join(f", {name}" for name in extra)
    return names, "".join(f"\t{text(value)}" for value in extra.values())


def copy_rows(cursor, table: str, columns: tuple[str, ...], rows) -> None:
    extra = column_defaults(table, columns)
    names = (*columns, *extra)
    tail = tuple(extra.values())
    with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, *tail))


def seed_events(cursor, rng, size, members_of, italy, now) -> None:
    """Events in every group, two thirds past and one third upcoming, with replies from the
    group's members; the viewer goes to the first upcoming ones of the big two groups."""
    per_group = max(1, size["events"] // len(members_of))
    event_rows, rsvp_rows = [], []
    event_id = 0
    for g, chosen in enumerate(members_of):
        for k in range(per_group):
            event_id += 1
            place = italy[int(rng.integers(len(italy)))]
            starts = now + timedelta(days=int((k - 2 * per_group // 3) * 4) + 1, hours=18)
            going = [int(u) + 1 for u in chosen[1 : 1 + int(rng.integers(3, 40))]]
            if g in (0, 1) and k >= 2 * per_group // 3:
                going = [1, *[u for u in going if u != 1]]
            event_rows.append(
                (
                    event_id,
                    g + 1,
                    int(chosen[0]) + 1,
                    f"Incontro: {sentence(rng, 2, 5)}",
                    sentence(rng, 20, 60),
                    f"<p>{sentence(rng, 20, 60)}</p>",
                    "in_person",
                    place.geoname_id,
                    place.name,
                    place.region,
                    place.latitude,
                    place.longitude,
                    starts,
                    starts + timedelta(hours=2),
                    50,
                    "scheduled",
                    len(going),
                    now - timedelta(days=30),
                )
            )
            rsvp_rows.extend((event_id, user, "going", now - timedelta(days=20)) for user in going)
    copy_rows(
        cursor,
        "groups_event",
        ("id", "group_id", "organiser_id", "title", "description", "description_html", "format",
         "geoname_id", "city", "region", "latitude", "longitude", "starts_at", "ends_at",
         "capacity", "status", "going_count", "created_at"),
        event_rows,
    )  # fmt: skip
    copy_rows(cursor, "groups_rsvp", ("event_id", "user_id", "answer", "answered_at"), rsvp_rows)


def seed_conversations(cursor, rng, size, n, now) -> None:
    """Conversations between members, the viewer in forty of them (one of 100 messages)."""
    conversation_rows, participant_rows, message_rows = [], [], []
    pairs = set()
    for k in range(40):
        pairs.add((1, k + 2))
    while len(pairs) < size["conversations"]:
        a, b = sorted(int(x) + 1 for x in rng.integers(n, size=2))
        if a != b:
            pairs.add((a, b))
    per = max(1, size["messages"] // size["conversations"])
    message_id = 0
    for conversation_id, (low, high) in enumerate(sorted(pairs), start=1):
        count = 100 if (low, high) == (1, 2) else int(rng.integers(1, 2 * per))
        started = now - timedelta(days=int(rng.integers(1, 300)))
        first = message_id + 1
        for m in range(count):
            message_id += 1
            message_rows.append(
                (
                    message_id,
                    conversation_id,
                    low if m % 2 == 0 else high,
                    sentence(rng, 4, 30),
                    started + timedelta(minutes=7 * m),
                )
            )
        last_at = started + timedelta(minutes=7 * (count - 1))
        conversation_rows.append((conversation_id, low, high, low, "active", started, count))
        for user, other in ((low, high), (high, low)):
            read = message_id if user == low else first
            participant_rows.append(
                (conversation_id, user, other, message_id, last_at, read, message_id)
            )
    copy_rows(
        cursor,
        "connections_conversation",
        ("id", "user_low_id", "user_high_id", "started_by_id", "state", "created_at", "version"),
        conversation_rows,
    )
    copy_rows(
        cursor,
        "connections_participant",
        ("conversation_id", "user_id", "other_id", "last_message_id", "last_activity_at",
         "read_up_to", "delivered_up_to"),
        participant_rows,
    )  # fmt: skip
    copy_rows(
        cursor,
        "connections_message",
        ("id", "conversation_id", "sender_id", "body", "created_at"),
        message_rows,
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="Load the large benchmark data set.")
    parser.add_argument("--scale", type=float, default=1.0, help="0.1 for a quick run.")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    setup_django()

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from bench.graphs import preferential_attachment_graph
    from groups.models import Post
    from profiles import gazetteer
    from profiles.models import Sector

    size = {key: max(2, int(value * args.scale)) for key, value in FULL.items()}
    size["groups"] = max(4, size["groups"])
    rng = np.random.default_rng(args.seed)
    now = datetime.now(UTC).replace(microsecond=0)
    progress = Progress(13)

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    raw = connection.connection  # psycopg 3: COPY goes through the driver's cursor
    progress.step("emptied")

    # Members and profiles ------------------------------------------------------------------
    n = size["members"]
    password = make_password(PASSWORD)
    italy = [p for p in gazetteer._places()[1] if p.country == "IT"]
    weights = np.array([p.population for p in italy], dtype=float)
    homes = rng.choice(len(italy), n, p=weights / weights.sum())
    sectors = list(Sector.objects.values_list("pk", flat=True))
    joined = now - timedelta(days=700)
    with raw.cursor() as cursor:
        users = (
            (
                i + 1,
                password,
                False,
                False,
                True,
                joined,
                VIEWER_EMAIL if i == 0 else OTHER_EMAIL if i == 1 else f"m{i:06d}@bench.gilda",
                f"Membro {i}",
                "it",
            )
            for i in range(n)
        )
        copy_rows(
            cursor,
            "profiles_user",
            (
                "id",
                "password",
                "is_superuser",
                "is_staff",
                "is_active",
                "date_joined",
                "email",
                "display_name",
                "language",
            ),
            users,
        )
        progress.step("members")
        profiles = []
        for i in range(n):
            place = italy[homes[i]]
            profiles.append(
                (
                    i + 1,
                    i + 1,
                    sentence(rng, 3, 7).capitalize(),
                    "",
                    "",
                    place.name,
                    place.region,
                    "IT",
                    place.latitude,
                    place.longitude,
                    place.latitude,
                    place.longitude,
                    place.geoname_id,
                    "city",
                    "members",
                    sentence(rng, 4, 10),
                    sentence(rng, 4, 10),
                    "",
                    sectors[i % len(sectors)],
                    joined,
                    joined,
                    "",
                    "",
                    "",
                )
            )
        copy_rows(
            cursor,
            "profiles_profile",
            (
                "id",
                "user_id",
                "headline",
                "bio",
                "bio_html",
                "city",
                "region",
                "country",
                "latitude",
                "longitude",
                "public_latitude",
                "public_longitude",
                "geoname_id",
                "location_visibility",
                "connections_visibility",
                "needs",
                "offers",
                "open_to",
                "sector_id",
                "created_at",
                "updated_at",
                "avatar",
                "website",
                "linkedin_url",
            ),
            profiles,
        )
        # Verified addresses: the directory lists verified members only.
        copy_rows(
            cursor,
            "account_emailaddress",
            ("user_id", "email", "verified", '"primary"'),
            (
                (
                    i + 1,
                    VIEWER_EMAIL if i == 0 else OTHER_EMAIL if i == 1 else f"m{i:06d}@bench.gilda",
                    True,
                    True,
                )
                for i in range(n)
            ),
        )
        progress.step("profiles")

        # Groups and memberships: hub members join many groups ------------------------------
        sizes = group_sizes(size["groups"], size["memberships"], n)
        popularity = rng.pareto(1.5, n) + 1
        popularity /= popularity.sum()
        group_rows, membership_rows, members_of = [], [], []
        membership_id = 0
        for g, group_size in enumerate(sizes):
            closed = g == 1 or (g > 2 and g % 5 == 0)
            chosen = rng.choice(n, int(group_size), replace=False, p=popularity)
            if g in (0, 1):  # the viewer (user 1) and "other" (user 2) are in the big two
                chosen = np.concatenate(([0, 1], chosen[~np.isin(chosen, [0, 1])]))[:group_size]
            members_of.append(chosen)
            owner = int(chosen[0]) if g not in (0, 1) else 2  # the viewer owns nothing
            group_rows.append(
                (
                    g + 1,
                    f"Gruppo {g + 1}: {sentence(rng, 1, 3)}",
                    f"gruppo-{g + 1}",
                    sentence(rng, 10, 30),
                    f"<p>{sentence(rng, 10, 30)}</p>",
                    "",
                    "",
                    "closed" if closed else "open",
                    "",
                    "it",
                    g < 6,
                    len(chosen),
                    0,
                    joined,
                    owner + 1,
                    sectors[g % len(sectors)],
                )
            )
            for user in chosen:
                membership_id += 1
                role = "owner" if int(user) == owner else "member"
                membership_rows.append((membership_id, role, joined, g + 1, int(user) + 1))
        copy_rows(
            cursor,
            "groups_group",
            (
                "id",
                "name",
                "slug",
                "description",
                "description_html",
                "rules",
                "rules_html",
                "visibility",
                "membership_question",
                "language",
                "is_featured",
                "member_count",
                "pending_count",
                "created_at",
                "creator_id",
                "sector_id",
            ),
            group_rows,
        )
        copy_rows(
            cursor,
            "groups_membership",
            ("id", "role", "joined_at", "group_id", "user_id"),
            membership_rows,
        )
        progress.step("groups and memberships")

        # Questions and answers ----------------------------------------------------------------
        share = sizes / sizes.sum()
        question_groups = rng.choice(len(sizes), size["questions"], p=share)
        question_groups[:2] = 0  # the 100-answer and the 5-answer threads, in the open group
        # A skewed answer count per question, then the two fixed threads.
        raw_counts = rng.pareto(1.2, size["questions"]) + 1
        counts = np.floor(raw_counts / raw_counts.sum() * (size["answers"] - 105)).astype(int)
        counts[2:] = np.minimum(counts[2:], 60)
        counts[0], counts[1] = 100, 5
        deficit = size["answers"] - counts.sum()
        if deficit > 0:
            extra = rng.choice(np.arange(2, size["questions"]), deficit)
            np.add.at(counts, extra, 1)
        # Ages over a year, a third of it in the last 30 days (the "most active" window).
        ages = np.where(
            rng.random(size["questions"]) < 0.33,
            rng.uniform(0, 29, size["questions"]),
            rng.uniform(30, 365, size["questions"]),
        )
        posts = []
        post_id = 0
        question_ids = np.zeros(size["questions"], dtype=np.int64)
        post_author, post_group, post_is_question = [], [], []
        for q in range(size["questions"]):
            g = int(question_groups[q])
            members = members_of[g]
            post_id += 1
            question_ids[q] = post_id
            asked = now - timedelta(days=float(ages[q]))
            author = int(members[rng.integers(len(members))]) + 1
            body = sentence(rng, 20, 80)
            title = sentence(rng, 4, 10).capitalize() + "?"
            if q == 0:
                title = "Una discussione con cento risposte?"
            elif q == 1:
                title = "Una discussione con cinque risposte?"
            posts.append(
                (
                    post_id,
                    "question",
                    title,
                    body,
                    f"<p>{body}</p>",
                    0,
                    0,
                    False,
                    asked,
                    asked,
                    g + 1,
                    author,
                    None,
                )
            )
            post_author.append(author)
            post_group.append(g + 1)
            post_is_question.append(True)
            accepted_at = rng.integers(counts[q]) if counts[q] and rng.random() < 0.3 else -1
            for a in range(counts[q]):
                post_id += 1
                answered = asked + timedelta(hours=float(rng.uniform(0.1, 72)))
                answered = min(answered, now)
                body = sentence(rng, 15, 120)
                responder = int(members[rng.integers(len(members))]) + 1
                posts.append(
                    (
                        post_id,
                        "answer",
                        "",
                        body,
                        f"<p>{body}</p>",
                        0,
                        0,
                        a == accepted_at,
                        answered,
                        answered,
                        g + 1,
                        responder,
                        question_ids[q],
                    )
                )
                post_author.append(responder)
                post_group.append(g + 1)
                post_is_question.append(False)
        copy_rows(
            cursor,
            "groups_post",
            (
                "id",
                "kind",
                "title",
                "body",
                "body_html",
                "score",
                "answer_count",
                "is_accepted",
                "created_at",
                "last_activity_at",
                "group_id",
                "author_id",
                "question_id",
            ),
            posts,
        )
        progress.step("questions and answers")
        copy_rows(
            cursor,
            "groups_threadwatch",
            ("created_at", "question_id", "user_id"),
            (
                (joined, int(question_ids[q]), post_author[int(question_ids[q]) - 1])
                for q in range(size["questions"])
            ),
        )

        # Votes: unique (post, user), never on one's own post ------------------------------------
        total_posts = post_id
        post_author_arr = np.array(post_author)
        post_group_arr = np.array(post_group)
        wanted = size["votes"]
        voted_post = rng.integers(1, total_posts + 1, wanted * 2)
        voter = np.empty_like(voted_post)
        for i, p in enumerate(voted_post):
            members = members_of[post_group_arr[p - 1] - 1]
            voter[i] = members[rng.integers(len(members))] + 1
        keep = voter != post_author_arr[voted_post - 1]
        keys = np.unique(voted_post[keep] * (n + 1) + voter[keep])[:wanted]
        rng.shuffle(keys)
        values = np.where(rng.random(len(keys)) < 0.85, 1, -1)
        copy_rows(
            cursor,
            "groups_vote",
            ("value", "created_at", "updated_at", "post_id", "user_id"),
            (
                (int(values[i]), now, now, int(key // (n + 1)), int(key % (n + 1)))
                for i, key in enumerate(keys)
            ),
        )
        progress.step("votes")

        comment_posts = rng.integers(1, total_posts + 1, size["comments"])
        comment_rows = []
        for p in comment_posts:
            members = members_of[post_group_arr[p - 1] - 1]
            body = sentence(rng, 5, 25)
            comment_rows.append(
                (body, f"<p>{body}</p>", now, int(members[rng.integers(len(members))]) + 1, int(p))
            )
        copy_rows(
            cursor,
            "groups_comment",
            ("body", "body_html", "created_at", "author_id", "post_id"),
            comment_rows,
        )
        progress.step("comments")

        # Connections: preferential attachment, so some members have hundreds -----------------
        low, high = preferential_attachment_graph(
            n, m=max(1, round(size["connections"] / n)), seed=args.seed
        )
        copy_rows(
            cursor,
            "connections_connection",
            ("created_at", "user_low_id", "user_high_id"),
            ((joined, int(a) + 1, int(b) + 1) for a, b in zip(low, high, strict=True)),
        )
        progress.step("connections")
        seed_events(cursor, rng, size, members_of, italy, now)
        seed_conversations(cursor, rng, size, n, now)
        progress.step("events and conversations")

        copy_rows(
            cursor,
            "profiles_notification",
            ("recipient_id", "kind", "message_id", "params", "url", "scope", "created_at"),
            (
                (
                    1,
                    "group-new-answer",
                    "%(user)s answered “%(title)s” in %(group)s.",
                    '{"user": "Membro 2", "title": "Una domanda", "group": "Gruppo 1"}',
                    f"/gruppi/gruppo-1/domande/{question_ids[k % 2]}/",
                    "group:1",
                    now - timedelta(hours=k),
                )
                for k in range(60)
            ),
        )
    connection.commit() if not connection.get_autocommit() else None

    # Counters, scores and activity, in SQL ---------------------------------------------------
    with connection.cursor() as cursor:
        for table in TABLES:
            # TABLES is this script's own constant list of table names.
            highest = f"COALESCE((SELECT MAX(id) FROM {table}), 1)"  # nosec B608  # noqa: S608
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {highest})")
        cursor.execute(
            "UPDATE groups_post p SET score = v.s FROM (SELECT post_id, SUM(value) s "
            "FROM groups_vote GROUP BY post_id) v WHERE v.post_id = p.id"
        )
        cursor.execute(
            "UPDATE groups_post q SET answer_count = a.n, last_activity_at = a.last "
            "FROM (SELECT question_id, COUNT(*) n, MAX(created_at) last FROM groups_post "
            "WHERE kind = 'answer' GROUP BY question_id) a WHERE a.question_id = q.id"
        )
    progress.step("counters")
    Post.objects.all().update_search_vectors()
    progress.step("search vectors")
    after_load(connection)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    progress.step("analyzed")
    counts = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            # TABLES is this script's own constant list of table names.
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # nosec B608  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    print(", ".join(f"{table}: {count:,}" for table, count in counts.items()))


def after_load(connection) -> None:
    """Rebuild what the app keeps derived from the rows (the activity rollup, if present)."""
    from groups.models import GroupActivity

    GroupActivity.rebuild()


if __name__ == "__main__":
    main(sys.argv[1:])
