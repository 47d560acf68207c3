# Gilda production image: the same commands .ci/smoke.py runs for real in CI.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
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

COPY . .
RUN DEBUG=true python manage.py compilemessages --ignore=.venv -v 0 \
    && DEBUG=true python manage.py collectstatic --noinput -v 0 \
    && useradd --create-home --uid 1000 gilda \
    && mkdir -p /app/media && chown -R gilda /app/media

USER gilda
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
