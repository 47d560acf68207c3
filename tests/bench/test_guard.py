"""The benchmarks empty tables: they refuse any database not named as a benchmark's."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import refuse_unless_bench_database

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = "django.db.backends.postgresql"


@pytest.mark.parametrize("name", ["gilda", "gilda_ci", "test_gilda_bench", "template1", "bench"])
def test_a_database_not_named_gilda_bench_is_refused(name):
    with pytest.raises(SystemExit, match=f"Refusing to empty the tables of '{name}'"):
        refuse_unless_bench_database({"ENGINE": POSTGRES, "NAME": name})


def test_sqlite_is_refused():
    with pytest.raises(SystemExit, match="run on PostgreSQL"):
        refuse_unless_bench_database(
            {"ENGINE": "django.db.backends.sqlite3", "NAME": "gilda_bench.sqlite3"}
        )


@pytest.mark.parametrize("name", ["gilda_bench_dir", "gilda_bench_conn", "gilda_bench"])
def test_a_benchmark_database_is_accepted(name):
    refuse_unless_bench_database({"ENGINE": POSTGRES, "NAME": name})


@pytest.mark.parametrize("module", ["bench.directory", "bench.suggestions", "bench.coattendance"])
def test_each_benchmark_exits_with_an_error_before_touching_another_database(module):
    # No server is needed: the name is checked before any connection is made.
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}} | {
        "GILDA_ENV": "dev",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/gilda",
    }

    result = subprocess.run(
        [sys.executable, "-m", module, "--sizes", "100"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "Refusing to empty the tables of 'gilda'" in result.stderr
