# Gilda production image: the same commands .ci/smoke.py runs for real in CI.
FROM python:3.13-slim

ENV GILDA_ENV=prod \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    PATH="/app/.venv/bin:$PATH"

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv

WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --frozen --no-dev --python /usr/local/bin/python3.13

# The deployable code only, listed: not the tests, not the benchmarks in bench/, not a local .venv.
COPY manage.py ./
COPY config config
COPY profiles profiles
COPY groups groups
COPY connections connections
COPY templates templates
COPY static static
# The build steps live in config/build.sh, which CI's smoke test runs too (prod settings, so
# collectstatic writes WhiteNoise's manifest; no services needed).
RUN sh config/build.sh \
    && useradd --create-home --uid 1000 gilda \
    && mkdir -p /app/media && chown -R gilda /app/media

USER gilda
EXPOSE 8000
# 3 processes × 2 threads on 2 cores, at most 14 connections each (so a busy worker leaves
# new ones to the others): chosen by measurement, see README "Performance".
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "gthread", "--threads", "2", "--worker-connections", "14", "--access-logfile", "-"]
