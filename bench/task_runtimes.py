"""How long the longest background tasks run, to size the broker's visibility timeout.

    .venv/bin/python -m bench.task_runtimes [--n 100000] [--kind pa]

Loads a member graph (bench/graphs.py, as `make bench-suggestions` does) into a gilda_bench*
database, then times, in this process and through the same outbox runner a worker uses
(`OutboxTask.claim(pk).run()`):
  - every `connections.tasks.recompute_suggestions_range` of the nightly fan-out (ranges of
    20,000 members), each loading the graph on its own as a worker does;
  - the `connections.tasks.refresh_stale_suggestions` batches after the busiest member (the
    hub) and all their connections are marked stale.
Point REDIS_URL at a closed port with CELERY_EAGER=false: the wake-ups the tasks record are
then left unpublished instead of running inside the measurement.
Prints the per-task maximum and the visibility timeout it implies. Wipes the database it is
pointed at, and so refuses one not named gilda_bench*.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench import setup_django


def run_intent(name: str, *args) -> float:
    from profiles.models import OutboxTask

    intent = OutboxTask.objects.create(name=name, args=list(args))
    started = time.perf_counter()
    claimed = OutboxTask.claim(intent.pk)
    assert claimed is not None and claimed.run(), f"{name}{args} failed"
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--kind", default="pa", choices=["pa", "community"])
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    from bench.suggestions import load
    from connections import suggestions
    from connections.models import StaleSuggestions, connected_ids, mark_stale

    with tempfile.TemporaryDirectory() as scratch:
        graph = load(args.kind, args.n, str(Path(scratch) / "edges.npz"))
    print(f"loaded {graph}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE profiles_outboxtask")
    times: dict[str, list[float]] = {}

    for lo, hi in suggestions.user_id_ranges(20000):
        spent = run_intent("connections.tasks.recompute_suggestions_range", lo, hi)
        times.setdefault("recompute_suggestions_range (20,000 members)", []).append(spent)
        print(f"range [{lo}, {hi}): {spent:.1f} s", flush=True)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u, count(*) FROM (SELECT user_low_id u FROM connections_connection UNION ALL "
            "SELECT user_high_id FROM connections_connection) e GROUP BY u ORDER BY 2 DESC LIMIT 1"
        )
        hub, degree = cursor.fetchone()
    mark_stale(hub, *connected_ids(hub))
    while StaleSuggestions.objects.claimable().exists():
        spent = run_intent("connections.tasks.refresh_stale_suggestions")
        times.setdefault(f"refresh_stale_suggestions (hub, {degree} connections)", []).append(spent)
        print(f"hub refresh batch: {spent:.1f} s", flush=True)

    print()
    print("| task | runs | max s |")
    print("|---|---:|---:|")
    for name, spent in times.items():
        print(f"| {name} | {len(spent)} | {max(spent):.1f} |")
    longest = max(max(spent) for spent in times.values())
    print(f"\nlongest: {longest:.1f} s on {args.n:,} members ({args.kind})")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
