"""Trust and safety at size: the cost of a rate-limit check and of the review queue.

A member with 20,000 questions, answers and comments among 200,000 rows; 2,000 open reports
in 40 groups moderated by one member. Refuses a database not named gilda_bench*.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gilda_bench_trust \\
        GILDA_ENV=dev .venv/bin/python -m bench.trust
"""

import contextlib
import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from groups.models import Comment, Group, Membership, Post, Sector  # noqa: E402
from groups.models.reports import cards_for, open_targets  # noqa: E402
from profiles.models import Report, User  # noqa: E402
from profiles.ratelimits import RateLimited, enforce  # noqa: E402


def timed(call, rounds=200):
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    name = settings.DATABASES["default"]["NAME"]
    if not str(name).startswith("gilda_bench"):
        raise SystemExit(f"refusing to wipe {name!r}: not a gilda_bench* database")
    call_command("migrate", verbosity=0)
    settings.RATE_LIMITS_ENABLED = True
    settings.ALLOWED_HOSTS = ["testserver"]
    if "--reuse" in sys.argv and Post.objects.count() == 200_000:
        measure(
            *User.objects.filter(email__in=["u0@bench.example", "u1@bench.example"]).order_by(
                "email"
            )
        )
        return
    call_command("flush", interactive=False, verbosity=0)
    sector, _ = Sector.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    now = timezone.now()
    users = User.objects.bulk_create(
        [
            User(email=f"u{i}@bench.example", display_name=f"U {i}", date_joined=now)
            for i in range(400)
        ]
    )
    writer, moderator = users[0], users[1]
    groups = Group.objects.bulk_create(
        [Group(name=f"G {i}", slug=f"g-{i}", sector=sector) for i in range(40)]
    )
    Membership.objects.bulk_create(
        [Membership(group=g, user=moderator, role="moderator") for g in groups]
        + [Membership(group=g, user=u) for g in groups for u in users[2:60]]
    )
    posts = []
    for i in range(200_000):
        author = writer if i % 10 == 0 else users[2 + i % 398]
        posts.append(
            Post(
                group=groups[i % 40],
                author=author,
                kind="question",
                title=f"Q {i}",
                body="testo",
                created_at=now,
                last_activity_at=now,
            )
        )
    Post.objects.bulk_create(posts, batch_size=5000)
    some = list(Post.objects.order_by("pk").values_list("pk", "group_id", "author_id")[:2000])
    Comment.objects.bulk_create(
        [Comment(post_id=pk, author=writer, body="c") for pk, _g, _a in some], batch_size=5000
    )
    Report.objects.bulk_create(
        [
            Report(
                reporter=users[2 + (n % 50)],
                target_type="groups.post",
                target_id=pk,
                target_owner_id=author,
                scope=f"group:{gid}",
                reason="spam",
            )
            for n, (pk, gid, author) in enumerate(some)
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    measure(writer, moderator)


def measure(writer, moderator) -> None:
    history = Post.objects.filter(author=writer, kind="question")
    # The default limits; the writer is past them, so every check reads its `count` rows and
    # refuses: the most a check ever reads.
    settings.RATE_LIMITS = {
        "question": ((3, 3600), (10, 3600)),
        "comment": ((10, 3600), (60, 3600)),
    }

    def check(kind, rows):
        with contextlib.suppress(RateLimited):
            enforce(writer, kind, rows)

    median, p95 = timed(lambda: check("question", history))
    print(
        f"rate-limit check, member with 20,000 questions: median {median:.2f} ms, p95 {p95:.2f} ms"
    )
    comments = Comment.objects.filter(author=writer)
    median, p95 = timed(lambda: check("comment", comments))
    print(f"rate-limit check, comments: median {median:.2f} ms, p95 {p95:.2f} ms")

    def queue():
        rows = open_targets(moderator)[:20]
        return cards_for(rows), open_targets(moderator).count()

    with CaptureQueriesContext(connection) as queries:
        queue()
    median, p95 = timed(queue, rounds=50)
    print(
        f"review queue, 2,000 open reports in 40 groups: median {median:.1f} ms, "
        f"p95 {p95:.1f} ms, {len(queries)} queries"
    )
    moderator.set_password("bench")
    moderator.save()
    client = Client()
    client.force_login(moderator)
    median, p95 = timed(lambda: client.get("/gruppi/segnalazioni/"), rounds=30)
    print(f"review queue page (full Django request): median {median:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
