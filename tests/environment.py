"""Puts the test suite in GILDA_ENV=test, loaded by pytest as a plugin (`-p tests.environment`
in pyproject.toml).

It has to be a plugin: pytest-django imports the settings before any conftest.py, so a line
in a conftest would come too late. `make test` sets GILDA_ENV=test itself; this makes a plain
`.venv/bin/pytest` do the same, and refuses to run the suite in any other environment.
"""

import os

import pytest

os.environ.setdefault("GILDA_ENV", "test")
if os.environ["GILDA_ENV"] != "test":
    raise pytest.UsageError(
        f"The tests run with GILDA_ENV=test, not {os.environ['GILDA_ENV']!r}: unset it."
    )
