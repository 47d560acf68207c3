"""Every key page on the production stack, against the bare-Django floor, in one run.

    make seed-large && make bench-pages
    .venv/bin/python -m bench.pages [--rounds 3] [--seconds 2] [--clients 10] [--workers 3]
                                    [--worker-class gthread] [--threads 2] [--only home,search]

Two gunicorns with the same settings: Gilda (GILDA_ENV=prod, DEBUG off, Redis) on the
seed-large database, and bench/floor.py (startproject's settings, one trivial view). For each
page and round, the floor and the page are loaded in turn by `--clients` threads for
`--seconds` each; the page's share of the floor is the ratio of the medians of req/s over the
rounds. Then, in this process on the same database, the test client records per page the SQL
count and time, the response size, and the writes an anonymous GET makes (must be 0).
Writes bench/results/pages.md.
"""

import argparse
import http.client
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import refuse_unless_bench_database, vacuum_analyze

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GILDA_PORT, FLOOR_PORT = 8791, 8792
PROD_ENV = {
    "GILDA_ENV": "prod",
    "DEBUG": "false",
    "SECRET_KEY": "bench-pages-not-a-secret-" + "p" * 50,
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "MAIL_URL": "locmem://",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "SECURE_HSTS_SECONDS": "0",
}
LOGGED_TARGET, ANONYMOUS_TARGET = 0.15, 0.25
# gunicorn's --worker-connections, as docker-compose.yml and the Dockerfile run it: a worker
# holds its two threads' connections and twelve kept alive, no more, so a busy worker stops
# taking connections and the others get them (README, Performance, round 15).
WORKER_CONNECTIONS = 14
CONCURRENCY = (1, 5, 10, 20)
PLOT_PAGES = ("home", "open group", "thread, 100 answers", "search, all groups", "directory")


def key_pages(
    viewer_id: int, other_id: int, thread5: int, thread100: int, event: int, conversation: int
) -> list[tuple]:
    """(name, path, logged in, anonymous too)."""
    return [
        ("home", "/", True),
        ("group list", "/gruppi/", True),
        ("open group", "/gruppi/gruppo-1/", True),
        ("closed group, member", "/gruppi/gruppo-2/", False),
        ("thread list", "/gruppi/gruppo-1/domande/", True),
        ("thread, 5 answers", f"/gruppi/gruppo-1/domande/{thread5}/", True),
        ("thread, 100 answers", f"/gruppi/gruppo-1/domande/{thread100}/", True),
        ("search in a group", "/gruppi/gruppo-1/domande/?q=progetto", True),
        ("search, all groups", "/gruppi/cerca/?q=progetto", True),
        ("own profile", f"/persone/{viewer_id}/", False),
        ("other profile", f"/persone/{other_id}/", False),  # members only
        ("directory", "/persone/", False),  # members only
        ("near me", "/persone/?ordine=vicino", False),
        ("my network", "/rete/", False),
        ("notifications", "/notifiche/", False),
        ("events", "/eventi/", True),
        ("event", f"/gruppi/gruppo-1/eventi/{event}/", True),
        ("inbox", "/rete/messaggi/", False),
        ("conversation, 100 messages", f"/rete/messaggi/{conversation}/", False),
    ]


def seeded_key_pages(viewer, other) -> list[tuple]:
    """key_pages() with the ids of the seed-large data: its two threads, an upcoming event the
    viewer goes to, and the viewer's 100-message conversation."""
    from connections.models import Conversation
    from groups.models import Event, Post

    threads = dict(
        Post.objects.filter(title__startswith="Una discussione con").values_list("title", "pk")
    )
    event = (
        Event.objects.filter(group__slug="gruppo-1", rsvps__user=viewer)
        .upcoming()
        .values_list("pk", flat=True)
        .first()
    )
    conversation = Conversation.objects.between(viewer.pk, other.pk).values_list("pk", flat=True)
    if event is None or not conversation:
        raise SystemExit("The seed-large data predates events and conversations: seed it again.")
    return key_pages(
        viewer.pk,
        other.pk,
        threads["Una discussione con cinque risposte?"],
        threads["Una discussione con cento risposte?"],
        event,
        conversation[0],
    )


def start_gunicorn(app: str, port: int, args, env: dict, log: Path) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--worker-connections",
        str(args.worker_connections),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.time() + 120  # a shared machine boots workers slowly
    while time.time() < deadline:
        if process.poll() is not None:
            break
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/", headers={"Host": "127.0.0.1"})
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(1)
    process.terminate()
    raise SystemExit(f"gunicorn {app} did not start: see {log}")


def load(port: int, path: str, cookie: str, clients: int, seconds: float) -> dict:
    """`clients` threads request `path` in a loop for `seconds`: req/s and latencies."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    headers = {"Host": "127.0.0.1"}
    if cookie:
        headers["Cookie"] = cookie

    def client() -> None:
        mine, bad = [], 0
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    bad += 1
            except OSError:
                bad += 1
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client) for _ in range(clients)]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - begun
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0
    return {"rps": len(latencies) / elapsed, "p95_ms": p95 * 1000, "errors": errors[0]}


def sql_profile(client, path: str) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    # A member's kept page is keyed by the minute (config.page_cache.keep_for_member): when the
    # minute turns between the warming request and the measured one, the measured one renders
    # the page afresh, which the served pages do once a minute. Measured again then.
    for _ in range(2):
        minute = int(time.time() // 60)
        client.get(path)  # warm the caches as the served pages are
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if int(time.time() // 60) == minute:
            break
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]
    return {
        "status": response.status_code,
        "queries": len(queries.captured_queries),
        "sql_ms": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
        "bytes": len(response.content),
        "writes": len(writes),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="Key pages against the bare-Django floor.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--workers", type=int, default=3)
    # As docker-compose.yml and the Dockerfile run it.
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker-connections", type=int, default=WORKER_CONNECTIONS)
    parser.add_argument("--only", default="", help="Comma-separated page names.")
    parser.add_argument("--output", default=str(RESULTS / "pages.md"))
    parser.add_argument(
        "--plot",
        default=str(RESULTS / "pages-concurrency.png"),
        help="PNG of req/s against concurrency (empty: no plot).",
    )
    parser.add_argument("--plot-pages", default=",".join(PLOT_PAGES))
    args = parser.parse_args(argv)

    os.environ.update(PROD_ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    refuse_unless_bench_database(settings.DATABASES["default"])
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from bench.seed_large import OTHER_EMAIL, VIEWER_EMAIL
    from profiles.models import User

    viewer = User.objects.filter(email=VIEWER_EMAIL).first()
    other = User.objects.filter(email=OTHER_EMAIL).first()
    if viewer is None or other is None:
        raise SystemExit("No seed-large data here: run `make seed-large` first.")
    pages = seeded_key_pages(viewer, other)
    if args.only:
        # Page names hold ", " ("search, all groups"): split on commas not followed by a space.
        wanted = {name.strip() for name in re.split(r",(?! )", args.only)}
        pages = [page for page in pages if page[0] in wanted]

    call_command("collectstatic", interactive=False, verbosity=0)
    vacuum_analyze()
    logged = Client()
    logged.force_login(viewer, backend="profiles.backends.ModelBackend")
    cookie = f"{settings.SESSION_COOKIE_NAME}={logged.cookies[settings.SESSION_COOKIE_NAME].value}"
    anonymous = Client()

    # Per page, in this process: SQL, size, writes.
    runs = []
    for name, path, anonymous_too in pages:
        runs.append((name, path, True))
        if anonymous_too:
            runs.append((name, path, False))
    profiles = {}
    for name, path, is_logged in runs:
        profiles[(name, is_logged)] = sql_profile(logged if is_logged else anonymous, path)

    # A SIGTERM still stops both gunicorns (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    floor_env = {key: value for key, value in env.items() if key not in ("DJANGO_SETTINGS_MODULE",)}
    logs = Path(tempfile.mkdtemp(prefix="gilda-bench-pages-"))
    gilda = start_gunicorn("config.wsgi", GILDA_PORT, args, env, logs / "gilda.log")
    floor = start_gunicorn("bench.floor:application", FLOOR_PORT, args, floor_env, logs / "f.log")
    results = {}
    try:
        # Warm every worker on every page (imports, the gazetteer, compiled templates): a cold
        # worker met inside a 1.5 s window costs the page seconds on a loaded machine.
        for _name, path, is_logged in runs:
            load(GILDA_PORT, path, cookie if is_logged else "", args.workers * args.threads, 1.0)
        for round_number in range(args.rounds):
            for name, path, is_logged in runs:
                base = load(FLOOR_PORT, "/", "", args.clients, args.seconds)
                page = load(
                    GILDA_PORT, path, cookie if is_logged else "", args.clients, args.seconds
                )
                entry = results.setdefault((name, is_logged), [])
                entry.append((base, page))
                print(
                    f"round {round_number + 1} {name:<22} {'in ' if is_logged else 'out'} "
                    f"floor {base['rps']:7.1f}/s page {page['rps']:7.1f}/s "
                    f"({page['rps'] / base['rps']:6.1%}) p95 {page['p95_ms']:6.0f} ms"
                    f"{'  ERRORS ' + str(page['errors']) if page['errors'] else ''}",
                    flush=True,
                )
        curves = {}
        if args.plot:
            wanted = [name.strip() for name in re.split(r",(?! )", args.plot_pages)]
            curves = concurrency_curves(runs, wanted, cookie, args.seconds)
    finally:
        for process in (gilda, floor):
            process.terminate()
            try:
                process.wait(timeout=40)  # sync workers finish their request first
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    table = report(runs, results, profiles, args)
    if curves:
        plot(curves, args)
        table += concurrency_table(curves, args)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(table)
    print(table)


def concurrency_curves(runs, wanted: list[str], cookie: str, seconds: float) -> dict:
    """req/s at each concurrency of CONCURRENCY, for the floor and the wanted pages (logged
    in), each level's floor and pages measured back to back."""
    paths = {name: path for name, path, is_logged in runs if is_logged and name in wanted}
    curves = {"bare-Django floor": []} | {name: [] for name in paths}
    for clients in CONCURRENCY:
        curves["bare-Django floor"].append(load(FLOOR_PORT, "/", "", clients, seconds)["rps"])
        for name, path in paths.items():
            rps = load(GILDA_PORT, path, cookie, clients, seconds)["rps"]
            curves[name].append(rps)
            print(f"concurrency {clients:>2} {name:<22} {rps:7.1f}/s", flush=True)
    return curves


def plot(curves: dict, args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(8, 5), dpi=100)
    for name, values in curves.items():
        style = "k--" if name == "bare-Django floor" else "-o"
        axes.plot(CONCURRENCY, values, style, label=name)
    axes.set_xlabel("concurrent clients")
    axes.set_ylabel("requests per second (log)")
    axes.set_yscale("log")
    axes.set_xticks(CONCURRENCY)
    axes.set_title(
        f"Gilda pages (member) against the bare-Django floor\n"
        f"gunicorn {args.workers} × {args.worker_class}, {args.threads} thread(s); "
        f"{os.cpu_count()} shared CPUs"
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.plot)


def concurrency_table(curves: dict, args) -> str:
    lines = [
        "",
        f"## req/s against concurrency (plot: `{Path(args.plot).name}`)",
        "",
        "| page (member) | " + " | ".join(f"{c} clients" for c in CONCURRENCY) + " |",
        "|---|" + "---:|" * len(CONCURRENCY),
    ]
    for name, values in curves.items():
        lines.append(f"| {name} | " + " | ".join(f"{v:.0f}" for v in values) + " |")
    lines.append("")
    return "\n".join(lines)


def verdict(share: float, target: float, status: int) -> str:
    if status != 200:
        return f"n/a (status {status})"
    return f"{'✅' if share >= target else '❌'} ≥ {target:.0%}"


def report(runs, results, profiles, args) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = cpu
    lines = [
        "# Key pages against the bare-Django floor",
        "",
        f"gunicorn `--workers {args.workers} --worker-class {args.worker_class} "
        f"--threads {args.threads} --worker-connections {args.worker_connections}`, "
        f"{args.clients} clients, {args.rounds} rounds of "
        f"{args.seconds:g} s per page and floor, interleaved; medians. Machine: {model}, "
        f"{os.cpu_count()} CPUs (shared), Python {platform.python_version()}; load average "
        f"{' / '.join(f'{value:.1f}' for value in os.getloadavg())} (1/5/15 min) at the end.",
        "",
        "| page | who | floor req/s | page req/s | share of floor | target | p95 ms "
        "| SQL queries | SQL ms | bytes | writes | errors |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, _path, is_logged in runs:
        pairs = results.get((name, is_logged), [])
        if not pairs:
            continue
        floor = statistics.median(base["rps"] for base, _ in pairs)
        page = statistics.median(p["rps"] for _, p in pairs)
        p95 = statistics.median(p["p95_ms"] for _, p in pairs)
        errors = sum(p["errors"] for _, p in pairs)
        share = page / floor if floor else 0.0
        target = LOGGED_TARGET if is_logged else ANONYMOUS_TARGET
        prof = profiles[(name, is_logged)]
        lines.append(
            f"| {name} | {'member' if is_logged else 'anonymous'} | {floor:.0f} | {page:.1f} "
            f"| {share:.1%} | {verdict(share, target, prof['status'])} | {p95:.0f} "
            f"| {prof['queries']} | {prof['sql_ms']:.1f} | {prof['bytes']:,} "
            f"| {prof['writes']} | {errors} |"
        )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
