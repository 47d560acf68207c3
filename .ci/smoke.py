"""Production-stack smoke test, run by .ci/run (and by hand: `.venv/bin/python .ci/smoke.py`).

Starts what docker-compose.yml runs, against the machine's real services: migrate on
PostgreSQL, the image's build script (config/build.sh), gunicorn, a Celery worker and beat on
Redis. Then drives a sign-up over HTTP with a real client and proves that the verification
email was sent by the worker process (not eagerly in gunicorn), and that uvicorn streams the
conversations' push events. Everything it starts is stopped
at the end.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import redis

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
BIN = ROOT / ".venv" / "bin"
PORT = int(os.environ.get("SMOKE_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
DB_NAME = os.environ.get("SMOKE_DB", "gilda_smoke")
REDIS_DB = int(os.environ.get("SMOKE_REDIS_DB", "8"))
WORK = Path(tempfile.mkdtemp(prefix="gilda-smoke-"))
MAIL_DIR = WORK / "mail"

ENV = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "CELERY_EAGER"}} | {
    "GILDA_ENV": "prod",
    "PYTHON": PYTHON,
    "SECRET_KEY": "smoke-" + "k" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
    "MAIL_URL": f"file://{MAIL_DIR}",
    "SITE_URL": BASE,
    # Plain HTTP on loopback: the TLS-only protections are tested by check --deploy instead.
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "SECURE_HSTS_SECONDS": "0",
    "MEDIA_ROOT": str(WORK / "media"),
}

processes: list[subprocess.Popen] = []


def log(message: str) -> None:
    print(f"[smoke] {message}", flush=True)


def run(*args: str) -> None:
    log("$ " + " ".join(args))
    subprocess.run(args, cwd=ROOT, env=ENV, check=True, timeout=300)


def start(name: str, *args: str) -> tuple[subprocess.Popen, Path]:
    logfile = WORK / f"{name}.log"
    log(f"starting {name}: {' '.join(args)}")
    handle = logfile.open("w")
    process = subprocess.Popen(
        args, cwd=ROOT, env=ENV, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    processes.append(process)
    return process, logfile


def wait_for(description: str, predicate, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.25)
    raise SystemExit(f"[smoke] FAILED: timed out waiting for {description}")


def stop_all() -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def reset_database() -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()


def http_up() -> bool:
    try:
        return httpx.get(f"{BASE}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def mail_files() -> list[Path]:
    return sorted(MAIL_DIR.glob("*.log")) if MAIL_DIR.exists() else []


def main() -> None:
    reset_database()
    run(PYTHON, "manage.py", "migrate", "--noinput", "-v", "0")
    # The image's own build steps (the Dockerfile runs the same script), not a copy of them.
    run("sh", "config/build.sh")
    run(PYTHON, "manage.py", "check")

    _, worker_log = start(
        "worker",
        str(BIN / "celery"), "-A", "config", "worker", "--loglevel", "INFO",
        "--concurrency", "2", "--hostname", "smoke-worker@%h",
    )  # fmt: skip
    _, beat_log = start(
        "beat",
        str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO",
        "--schedule", str(WORK / "celerybeat-schedule"),
    )  # fmt: skip
    _, web_log = start(
        "gunicorn",
        str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{PORT}",
        "--workers", "2", "--access-logfile", "-",
    )  # fmt: skip
    wait_for("gunicorn to answer /healthz", http_up)
    wait_for("the worker to be ready", lambda: "ready." in worker_log.read_text())
    wait_for("beat to start", lambda: "beat: Starting" in beat_log.read_text())
    log("gunicorn, worker and beat are up")

    with httpx.Client(base_url=BASE, follow_redirects=False, timeout=10) as client:
        home = client.get("/")
        assert home.status_code == 200, home.status_code
        assert "Content-Security-Policy" in home.headers
        assert '<html lang="it">' in home.text
        probe = client.get("/healthz", headers={"Host": "container-probe:8000"})
        assert probe.status_code == 200, ("healthz refused a probe's Host", probe.status_code)
        refused = client.get("/", headers={"Host": "container-probe:8000"})
        assert refused.status_code == 400, refused.status_code
        css = client.get("/static/vendor/pico/pico.min.css")
        assert css.status_code == 200 and "max-age" in css.headers.get("cache-control", "")

        signup_page = client.get("/accounts/signup/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', signup_page.text)
        email = "smoke@example.com"
        response = client.post(
            "/accounts/signup/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "email": email,
                "password1": "una-password-lunga-2026",
                "password2": "una-password-lunga-2026",
            },
            headers={"Referer": f"{BASE}/accounts/signup/"},
        )
        assert response.status_code == 302, (response.status_code, response.text[:2000])
        log(f"signed up {email}; waiting for the worker to send the code")

        files = wait_for("the verification email", mail_files, timeout=60)
        body = files[0].read_text()
        code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", body).group(1)

        task_line = wait_for(
            "the worker's log of the send task",
            lambda: re.search(
                # The email's delivery runs as an outbox task (profiles/models/outbox.py).
                r"Task profiles\.tasks\.(run_outbox_task|send_outgoing_email)\[[0-9a-f-]+\] "
                r"succeeded.*",
                worker_log.read_text(),
            ),
        )
        log(f"worker: {task_line.group(0)}")
        web_text = web_log.read_text()
        assert "send_outgoing_email" not in web_text, "task ran inside gunicorn"
        assert "run_outbox_task" not in web_text, "task ran inside gunicorn"

        confirm = client.get("/accounts/confirm-email/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', confirm.text)
        verified = client.post(
            "/accounts/confirm-email/",
            data={"csrfmiddlewaretoken": token.group(1), "code": code},
            headers={"Referer": f"{BASE}/accounts/confirm-email/"},
        )
        assert verified.status_code == 302, (verified.status_code, verified.text[:2000])
        welcome = client.get("/")
        assert 'data-testid="welcome"' in welcome.text, welcome.text[:2000]
        check_push_channel(client, welcome.text)

    with psycopg.connect(ENV["DATABASE_URL"]) as conn:
        row = conn.execute(
            'SELECT sent_at IS NOT NULL, attempts FROM profiles_outgoingemail WHERE "to" = %s',
            ("smoke@example.com",),
        ).fetchone()
    assert row == (True, 1), row
    log("verification email sent by the Celery worker, exactly once; signup verified over HTTP")


def check_push_channel(client: httpx.Client, page: str) -> None:
    """The conversations' push channel as docker-compose runs it (service talk): uvicorn
    serves the stream that the page names, with the page's token, from Redis pub/sub. Without
    the proxy's route gunicorn answers the stream's path with 204 (pages then poll)."""
    talk_port = PORT + 1
    start(
        "uvicorn",
        str(BIN / "uvicorn"), "config.asgi:application", "--host", "127.0.0.1",
        "--port", str(talk_port), "--workers", "2", "--no-access-log",
    )  # fmt: skip
    stream_url = re.search(r'sse-connect="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert client.get(stream_url).status_code == 204, "gunicorn must not hold streams"
    talk = f"http://127.0.0.1:{talk_port}"

    def talk_up() -> bool:
        try:
            return httpx.get(f"{talk}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for("uvicorn to answer", talk_up)
    with psycopg.connect(ENV["DATABASE_URL"]) as conn:
        (user_id,) = conn.execute(
            "SELECT id FROM profiles_user WHERE email = %s", ("smoke@example.com",)
        ).fetchone()
    events = redis.Redis.from_url(ENV["REDIS_URL"])
    with httpx.stream("GET", talk + stream_url, timeout=10) as stream:
        assert stream.status_code == 200, stream.status_code
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")
        events.publish(f"talk:u:{user_id}", "badge")
        assert "event: badge" in [next(lines) for _ in range(4)]
    log("push channel: uvicorn streamed a Redis event to the signed-in page's stream")


if __name__ == "__main__":
    try:
        main()
    except BaseException:
        for logfile in sorted(WORK.glob("*.log")):
            print(f"----- {logfile.name} -----\n{logfile.read_text()[-4000:]}", file=sys.stderr)
        raise
    finally:
        stop_all()
        shutil.rmtree(WORK, ignore_errors=True)
    log("passed")
