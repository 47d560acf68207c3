#!/bin/sh
# The production image's build steps, in one place: the Dockerfile runs this script, and so does
# CI's smoke test (.ci/smoke.py) before it starts gunicorn with DEBUG off, so CI proves the very
# steps that build the image. Production settings always: collectstatic must write WhiteNoise's
# manifest (staticfiles/staticfiles.json), which it skips with DEBUG on, and without it every
# {% static %} raises once DEBUG is off.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"

export GILDA_ENV=prod DEBUG=false
# Nothing here touches a database, a broker or a secret: a throwaway key when none is given, and
# eager Celery when no broker is configured (prod refuses to start without one otherwise).
export SECRET_KEY="${SECRET_KEY:-build-only-not-a-secret-build-only-not-a-secret-0000}"
if [ -z "${REDIS_URL:-}" ]; then export CELERY_EAGER=true; fi

"$PYTHON" manage.py compilemessages --ignore=.venv -v 0
"$PYTHON" manage.py collectstatic --noinput --clear -v 0
test -s staticfiles/staticfiles.json || { echo "build: no WhiteNoise manifest written" >&2; exit 1; }
