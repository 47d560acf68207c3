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


# The tables autovacuum would pick now, by its default thresholds (PostgreSQL 15: vacuum past
# 50 dead rows + 20% of the table, or 1,000 rows inserted + 20%; analyze past 50 changed rows
# + 10%).
AUTOVACUUM_PICKS = """
SELECT s.relname,
       s.n_dead_tup > 50 + 0.2 * GREATEST(c.reltuples, 0)
       OR s.n_ins_since_vacuum > 1000 + 0.2 * GREATEST(c.reltuples, 0),
       s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0)
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
"""


def autovacuum_pass() -> list[str]:
    """What one round of production's autovacuum does (this machine's has it off): VACUUM
    and ANALYZE only the tables past its thresholds, not the whole database. Returns them."""
    from django.db import connection

    done = []
    with connection.cursor() as cursor:
        cursor.execute(AUTOVACUUM_PICKS)
        for table, vacuum, analyze in cursor.fetchall():
            if vacuum or analyze:
                command = (
                    "VACUUM (ANALYZE)" if vacuum and analyze else "VACUUM" if vacuum else "ANALYZE"
                )
                cursor.execute(f'{command} "{table}"')
                done.append(table)
    return done
