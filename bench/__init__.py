"""Benchmarks and their data generators. Never deployed: not a Django app, not in the image.

Each one runs as `python -m bench.<name>` (see the Makefile's bench targets) and empties the
tables of the database it is pointed at, so setup_django() refuses any database whose name
does not start with gilda_bench.
"""

import os

BENCH_DATABASE_PREFIX = "gilda_bench"


def refuse_unless_bench_database(database: dict) -> None:
    """Exit with a message unless `database` (a DATABASES entry) is a PostgreSQL database
    named gilda_bench*."""
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("The benchmarks run on PostgreSQL: set DATABASE_URL.")
    name = str(database["NAME"])
    if not name.startswith(BENCH_DATABASE_PREFIX):
        raise SystemExit(
            f"Refusing to empty the tables of {name!r}: the benchmarks only run on a database "
            f"whose name starts with {BENCH_DATABASE_PREFIX!r}."
        )


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    refuse_unless_bench_database(settings.DATABASES["default"])
    django.setup()


def vacuum_analyze() -> None:
    """VACUUM ANALYZE the benchmark database before a measurement. This machine's PostgreSQL
    runs with autovacuum off (CI's configuration); production's has it on. Without it the
    planner reads statistics from before the earlier runs' writes (the suggestions table is
    rewritten at every refresh: a 12-row read was planned as 11,617 rows, in parallel, 6.8 ms
    against 0.9 ms), and counts cannot use the visibility map."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
