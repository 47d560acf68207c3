"""Load test with writes, on the production stack: 40 members for 5 minutes, one request in five
a write (ask, answer, vote, comment, join, connect, accept), on the seed-large data.

    make seed-large && make bench-load
    .venv/bin/python -m bench.load [--users 40] [--minutes 5] [--rate 100] [--workers 3]
                                   [--worker-class gthread] [--threads 2]
                                   [--output bench/results/load.md]

The members offer 100 requests per second in all (--rate), each at its own pace: a server that
holds the rate serves it with a short p95, one that cannot falls behind and the report shows the
rate it served. --rate 0 is the closed loop: each member clicks again 50-250 ms after each
answer, which finds the most the server serves.

gunicorn (GILDA_ENV=prod, DEBUG off, Redis) and a real Celery worker serve on loopback;
locust (bench/locustfile.py) drives them headless. The report gives req/s, p50/p95/p99, the
5xx count (must be 0) and lost writes: every write the server acknowledged (a redirect after
the POST) is looked up in the database afterwards, and each one missing is lost (must be 0).
"""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import autovacuum_pass, refuse_unless_bench_database, vacuum_analyze
from bench.pages import PROD_ENV, ROOT, WORKER_CONNECTIONS, load, start_gunicorn

RESULTS = ROOT / "bench" / "results"
PORT = 8796
CSRF_SECRET = "benchload" + "x" * 23  # 32 characters: a CSRF secret Django accepts as a token
LOAD_GROUP = "gruppo-1"  # open, the largest


def build_plan(users: int) -> dict:
    """Sessions and the ids each simulated member acts on; clears what earlier runs left that
    would refuse a write (their connection requests count against the weekly cap)."""
    import random

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Q

    from connections.models import Connection, ConnectionRequest
    from groups.models import Group, Membership
    from profiles.models import User

    rng = random.Random(2026)  # noqa: S311  # a benchmark's choice, not a secret
    group = Group.objects.get(slug=LOAD_GROUP)
    members = list(
        User.objects.filter(memberships__group=group, is_active=True)
        .exclude(memberships__role__in=["owner", "moderator"])
        .order_by("pk")[:users]
    )
    ids = [member.pk for member in members]
    ConnectionRequest.objects.filter(Q(sender_id__in=ids) | Q(recipient_id__in=ids)).delete()
    questions = list(
        group.posts.alive()
        .questions()
        .order_by("-last_activity_at")
        .values_list("pk", flat=True)[:300]
    )
    posts = list(group.posts.alive().order_by("-pk").values_list("pk", "author_id")[:2000])
    open_groups = list(
        Group.objects.filter(visibility=Group.Visibility.OPEN)
        .exclude(pk=group.pk)
        .values_list("pk", "slug")
    )
    everyone = list(User.objects.filter(is_active=True).values_list("pk", flat=True))
    simulated = set(ids)
    others = [pk for pk in everyone if pk not in simulated]
    taken: set[int] = set()
    plan_members = []
    for member in members:
        session = SessionStore()
        session[SESSION_KEY] = str(member.pk)
        session[BACKEND_SESSION_KEY] = "profiles.backends.ModelBackend"
        session[HASH_SESSION_KEY] = member.get_session_auth_hash()
        session.create()
        mine = set(Membership.objects.filter(user=member).values_list("group_id", flat=True))
        connected = set(Connection.objects.other_ids(member.pk).values_list("other", flat=True))
        free = [pk for pk in others if pk not in connected and pk not in taken]
        connect_to = rng.sample(free, 30)
        senders = rng.sample([pk for pk in free if pk not in connect_to], 10)
        taken.update(connect_to, senders)
        incoming = ConnectionRequest.objects.bulk_create(
            ConnectionRequest(sender_id=sender, recipient=member, message="Ciao!")
            for sender in senders
        )
        plan_members.append(
            {
                "id": member.pk,
                "session": session.session_key,
                "votable": [pk for pk, author in posts if author != member.pk][:200],
                "joinable": [slug for pk, slug in open_groups if pk not in mine][:20],
                "connect_to": connect_to,
                "incoming": [(request.pk, request.sender_id) for request in incoming],
            }
        )
    return {
        "members": plan_members,
        "group": group.slug,
        "questions": questions,
        "profiles": others[:500],
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf": CSRF_SECRET,
    }


def settle_leftovers() -> None:
    """What an earlier run left for its worker, done before this run: the suggestion lists it
    marked stale are refreshed here, and its intents still pending are published again (their
    messages may have gone with that run's broker queue), so that no pending wake-up of an
    earlier run holds back this run's (one pending intent per key)."""
    from connections.tasks import refresh_stale_suggestions
    from profiles.models import OutboxTask

    refresh_stale_suggestions(batch=1_000_000)
    OutboxTask.objects.filter(state=OutboxTask.State.PENDING).update(published_at=None)


def vacuum_every_minute(stop: threading.Event) -> None:
    """What production's autovacuum does meanwhile, which this machine's PostgreSQL doesn't
    (bench.autovacuum_pass): the test rewrites members' suggestions and adds notifications,
    requests and posts all along. Every minute, autovacuum's default naptime, the tables past
    its thresholds; its CPU counts against the run, as autovacuum's would."""
    from django.db import connection

    try:
        while not stop.wait(60):
            autovacuum_pass()
    finally:
        connection.close()


def lost_writes(acks: list[dict]) -> list[dict]:
    """The acknowledged writes not found in the database."""
    from connections.models import Connection, ConnectionRequest
    from groups.models import Comment, Membership, Post, Vote

    lost = []
    last_vote = {}
    for ack in acks:
        if ack["kind"] == "vote":
            last_vote[(ack["user"], ack["post"])] = ack  # a later vote replaces an earlier one
    for ack in acks:
        kind, user = ack["kind"], ack["user"]
        if kind == "post":
            found = Post.objects.filter(author_id=user, body__contains=ack["marker"]).exists()
        elif kind == "comment":
            found = Comment.objects.filter(author_id=user, body__contains=ack["marker"]).exists()
        elif kind == "vote":
            if last_vote[(user, ack["post"])] is not ack:
                continue
            found = Vote.objects.filter(user_id=user, post_id=ack["post"], value=ack["value"])
            found = found.exists()
        elif kind == "join":
            found = Membership.objects.filter(user_id=user, group__slug=ack["group"]).exists()
        elif kind == "connect":
            found = (
                ConnectionRequest.objects.filter(sender_id=user, recipient_id=ack["other"]).exists()
                or Connection.objects.between(user, ack["other"]).exists()
            )
        else:  # accept
            found = Connection.objects.between(user, ack["other"]).exists()
        if not found:
            lost.append(ack)
    return lost


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="Load test with writes.")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--minutes", type=float, default=5.0)
    # The test: 100 requests per second offered in all, each member at its own pace.
    # 0: closed loop, each member clicks again 50-250 ms after each answer (the capacity).
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=3)
    # As docker-compose.yml and the Dockerfile run it.
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker-connections", type=int, default=WORKER_CONNECTIONS)
    parser.add_argument("--output", default=str(RESULTS / "load.md"))
    args = parser.parse_args(argv)
    if args.rate < 0:
        parser.error("--rate is requests per second in all, 0 or more (0: the closed loop)")

    os.environ.update(PROD_ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    refuse_unless_bench_database(settings.DATABASES["default"])
    django.setup()
    from django.core.management import call_command

    from profiles.models import User

    if not User.objects.filter(email="viewer@bench.gilda").exists():
        raise SystemExit("No seed-large data here: run `make seed-large` first.")
    call_command("collectstatic", interactive=False, verbosity=0)
    work = Path(tempfile.mkdtemp(prefix="gilda-bench-load-"))
    plan_file, acks_file = work / "plan.json", work / "acks.json"
    plan_file.write_text(json.dumps(build_plan(args.users)))
    settle_leftovers()
    vacuum_analyze()  # after the plan's writes, as production's autovacuum would

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop gunicorn and the worker
    # The members' write limits would refuse the simulated members' writes (429): the load
    # test measures throughput and lost writes, so they are off here.
    env = os.environ | {
        "PYTHONPATH": str(ROOT),
        "CELERY_EAGER": "false",
        "RATE_LIMITS_ENABLED": "false",
    }
    worker = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "celery"), "-A", "config", "worker", "--loglevel",
         "WARNING", "--concurrency", "2"],
        cwd=ROOT, env=env, stdout=(work / "worker.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    gunicorn = start_gunicorn("config.wsgi", PORT, args, env, work / "gunicorn.log")
    from profiles.tasks import sweep_outbox

    sweep_outbox(unpublished_after=0)  # the intents settle_leftovers() left to publish
    # Warm every worker (imports, the gazetteer, template compilation) before the clock runs.
    plan = json.loads(plan_file.read_text())
    cookie = f"{plan['session_cookie']}={plan['members'][0]['session']}"
    group, question, profile = plan["group"], plan["questions"][0], plan["profiles"][0]
    warm = ["/", f"/gruppi/{group}/", f"/gruppi/{group}/domande/", "/gruppi/cerca/?q=progetto"]
    warm += [f"/gruppi/{group}/domande/{question}/", f"/persone/{profile}/", "/persone/"]
    for path in [*warm, "/rete/", "/notifiche/"]:
        load(PORT, path, cookie, args.workers * args.threads, 1.0)
    seconds = int(args.minutes * 60)
    began = time.time()
    vacuuming = threading.Event()
    vacuum = threading.Thread(target=vacuum_every_minute, args=(vacuuming,), daemon=True)
    vacuum.start()
    try:
        locust = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"),
             "--headless", "--users", str(args.users), "--spawn-rate", str(args.users),
             "--run-time", f"{seconds}s", "--host", f"http://127.0.0.1:{PORT}",
             "--csv", str(work / "locust"), "--only-summary", "--loglevel", "WARNING",
             "--stop-timeout", "10"],
            cwd=ROOT, env=env | {"BENCH_LOAD_PLAN": str(plan_file),
                                 "BENCH_LOAD_ACKS": str(acks_file),
                                 "BENCH_LOAD_RATE": str(args.rate)},
            capture_output=True, text=True, check=False, timeout=seconds + 120,
        )  # fmt: skip
    finally:
        vacuuming.set()
        vacuum.join(timeout=60)
        for process in (gunicorn, worker):
            process.terminate()
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    elapsed = time.time() - began
    if not acks_file.exists():
        print(locust.stdout[-3000:], locust.stderr[-3000:])
        raise SystemExit(f"locust wrote no acknowledgements: see {work}")
    outcome = json.loads(acks_file.read_text())
    rows = list(csv.DictReader((work / "locust_stats.csv").open()))
    lost = lost_writes(outcome["acks"])
    text = report(rows, outcome, lost, args, elapsed)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text)
    print(text)
    if outcome["server_errors"] or lost:
        raise SystemExit(1)


def report(rows: list[dict], outcome: dict, lost: list[dict], args, elapsed: float) -> str:
    total = next(row for row in rows if row["Name"] == "Aggregated")
    writes = [row for row in rows if row["Type"] == "POST"]
    write_count = sum(int(row["Request Count"]) for row in writes)
    lines = [
        "# Load test with writes (`make bench-load`)",
        "",
        f"{args.users} simulated members for {args.minutes:g} min on loopback, "
        + (
            f"offering {args.rate:g} req/s in all (each member paced)"
            if args.rate
            else "closed loop (each member clicks again 50-250 ms after each answer)"
        )
        + ", gunicorn "
        f"`--workers {args.workers} --worker-class {args.worker_class} --threads {args.threads}"
        f" --worker-connections {args.worker_connections}`"
        f", a Celery worker; {os.cpu_count()} shared CPUs, load average "
        f"{' / '.join(f'{value:.1f}' for value in os.getloadavg())} at the end "
        f"(run took {elapsed:.0f} s).",
        "",
        "| requests | req/s | writes | p50 ms | p95 ms | p99 ms | 5xx | refused (4xx) "
        "| acknowledged writes | lost writes |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {int(total['Request Count']):,} | {float(total['Requests/s']):.1f} "
        f"| {write_count:,} ({write_count / max(1, int(total['Request Count'])):.0%}) "
        f"| {total['50%']} | {total['95%']} | {total['99%']} | {outcome['server_errors']} "
        f"| {outcome['refused']} | {len(outcome['acks']):,} | {len(lost)} |",
        "",
        "| request | count | req/s | p50 ms | p95 ms | p99 ms | failures |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row["Name"] == "Aggregated":
            continue
        lines.append(
            f"| {row['Type']} {row['Name']} | {int(row['Request Count']):,} "
            f"| {float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} "
            f"| {row['Failure Count']} |"
        )
    if lost:
        lines += ["", "Lost writes (first 20):", ""]
        lines += [f"- `{json.dumps(ack)}`" for ack in lost[:20]]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
