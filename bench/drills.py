"""Fault drills (`make drills`): the production stack on private services, faults under load.

Starts a private PostgreSQL (initdb in a temp dir, port 5440), a private Redis (port 6390) and
a loopback SMTP server, then gunicorn (2 workers), a Celery worker and beat with
GILDA_ENV=prod. Never touches the machine's shared PostgreSQL or Redis. Each drill runs a small
loopback load (threads signing up and reading pages) while one fault happens:

- redis-stop: Redis killed for 20 s, then started again;
- postgres-restart: `pg_ctl restart -m fast`;
- smtp-outage: the SMTP server gone for 30 s;
- worker-kill: the whole Celery worker SIGKILLed mid-load, then started again (as a supervisor
  would); gunicorn is never restarted.

At the end it waits for every acknowledged signup's verification email and prints, per drill:
requests, failed requests, lost and duplicated emails, and the seconds until requests succeed
again after the fault ends.
"""

import argparse
import contextlib
import email
import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.smtp_server import SMTPServer  # noqa: E402 - after the path set-up

PG_PORT, REDIS_PORT, WEB_PORT = 5440, 6390, 8790
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
PYTHON = sys.executable


def as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["su", "postgres", "-c", " ".join(command)]
    return command


class Stack:
    def __init__(self, workdir: Path):
        self.dir = workdir
        self.smtp_port = 0
        self.smtp: SMTPServer | None = None
        self.redis = self.web = self.worker = self.beat = None
        self.logs = workdir / "logs"
        self.logs.mkdir()

    @property
    def env(self) -> dict:
        return os.environ | {
            "GILDA_ENV": "prod",
            "SECRET_KEY": "drills-only-" + "x" * 50,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{PG_PORT}/gilda_drills",
            "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "MAIL_URL": f"smtp://127.0.0.1:{self.smtp_port}?tls=false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "SECURE_HSTS_SECONDS": "0",
            "OUTBOX_REPUBLISH_AFTER": "30",
            # The load arrives "through a proxy", each signup from its own client address, so
            # allauth's per-address signup limit does not turn the load itself into 429s.
            "TRUSTED_PROXY_COUNT": "1",
            "LOG_LEVEL": "WARNING",
        }

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("a")
        return subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    # PostgreSQL ---------------------------------------------------------------------------
    def pg_ctl(self, *args: str) -> None:
        data = self.dir / "pg"
        options = f"-p {PG_PORT} -k {self.dir} -c listen_addresses=127.0.0.1"
        command = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(self.logs / "pg.log")]
        command += ["-o", f"'{options}'" if os.geteuid() == 0 else options, "-w", *args]
        subprocess.run(as_postgres(command), check=True, stdout=subprocess.DEVNULL)

    def start_postgres(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            shutil.chown(self.logs, "postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(self.dir / "pg"), "-A", "trust", "-U"]
        subprocess.run(as_postgres([*initdb, "postgres"]), check=True, stdout=subprocess.DEVNULL)
        self.pg_ctl("start")
        subprocess.run(
            [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres",
             "gilda_drills"],
            check=True,
        )  # fmt: skip

    # Redis, SMTP --------------------------------------------------------------------------
    def start_redis(self) -> None:
        self.redis = self.spawn(
            "redis",
            ["redis-server", "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)],
        )  # fmt: skip
        wait_until(lambda: port_open(REDIS_PORT), 10)

    def stop_redis(self) -> None:
        self.redis.kill()
        self.redis.wait()

    def start_smtp(self) -> None:
        accepted = self.smtp.accepted if self.smtp else []
        self.smtp = SMTPServer(self.smtp_port)
        self.smtp.accepted = accepted
        self.smtp_port = self.smtp.port

    def stop_smtp(self) -> None:
        self.smtp.stop()

    # The application ----------------------------------------------------------------------
    def start_app(self) -> None:
        manage = [PYTHON, "manage.py"]
        for step in (
            ["migrate", "--noinput", "-v", "0"],
            ["collectstatic", "--noinput", "-v", "0"],
        ):
            subprocess.run([*manage, *step], cwd=ROOT, env=self.env, check=True)
        self.web = self.spawn(
            "gunicorn",
            [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-w", "2", "-b",
             f"127.0.0.1:{WEB_PORT}", "--timeout", "30"],
        )  # fmt: skip
        self.start_worker()
        self.beat = self.spawn(
            "beat",
            [PYTHON, "-m", "celery", "-A", "config", "beat", "-s",
             str(self.dir / "beat-schedule"), "--loglevel", "WARNING"],
        )  # fmt: skip
        wait_until(lambda: get(f"http://127.0.0.1:{WEB_PORT}/healthz")[0] == 200, 60)

    def start_worker(self) -> None:
        self.worker = self.spawn(
            "worker",
            [PYTHON, "-m", "celery", "-A", "config", "worker", "--concurrency", "2",
             "--loglevel", "WARNING", "--without-mingle", "--without-gossip"],
        )  # fmt: skip

    def kill_worker(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()

    def stop(self) -> None:
        for process in (self.web, self.worker, self.beat, self.redis):
            if process and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        if self.smtp:
            self.smtp.stop()
        with contextlib.suppress(subprocess.CalledProcessError):
            self.pg_ctl("stop", "-m", "fast")


def port_open(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("service did not come up")


def get(url: str, opener=None) -> tuple[int, str]:
    opener = opener or urllib.request.build_opener()
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Load:
    """Threads signing up (each signup owes one verification email) and reading pages."""

    def __init__(self, threads: int):
        self.threads = threads
        self.results: list[tuple[float, str, int]] = []  # (time, drill, status)
        self.signed_up: list[tuple[str, str]] = []  # (drill, email)
        self.drill = "warm-up"
        self.stop = threading.Event()
        self.counter = 0
        self.lock = threading.Lock()

    def signup(self) -> None:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        with self.lock:
            self.counter += 1
            number = self.counter
        client_ip = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
        opener.addheaders = [("X-Forwarded-For", client_ip)]
        base = f"http://127.0.0.1:{WEB_PORT}"
        status, page = get(f"{base}/accounts/signup/", opener)
        self.record(status)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not token:
            return
        address = f"drill{number}-{int(time.time())}@example.com"
        data = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "email": address,
                "password1": "una-password-lunga-2026",
                "password2": "una-password-lunga-2026",
            }
        ).encode()
        request = urllib.request.Request(f"{base}/accounts/signup/", data=data)  # noqa: S310
        status, _ = get(request, opener)
        self.record(status)
        if status == 302:
            self.signed_up.append((self.drill, address))

    def record(self, status: int) -> None:
        self.results.append((time.monotonic(), self.drill, status))

    def run(self) -> None:
        while not self.stop.is_set():
            self.signup()
            self.record(get(f"http://127.0.0.1:{WEB_PORT}/gruppi/")[0])
            time.sleep(0.2)

    def start(self) -> None:
        self.workers = [threading.Thread(target=self.run, daemon=True) for _ in range(self.threads)]
        for worker in self.workers:
            worker.start()

    def finish(self) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join(60)


def ok(status: int) -> bool:
    return 200 <= status < 400


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--outage", type=float, default=20, help="seconds each outage lasts")
    parser.add_argument("--settle", type=float, default=240, help="max wait for delivery")
    args = parser.parse_args()
    if PG_BIN is None or not shutil.which("redis-server"):
        sys.exit("needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) and redis-server")

    workdir = Path(tempfile.mkdtemp(prefix="gilda-drills-"))
    stack = Stack(workdir)
    load = Load(args.threads)
    windows: dict[str, tuple[float, float]] = {}
    try:
        stack.start_smtp()
        stack.start_postgres()
        stack.start_redis()
        stack.start_app()
        load.start()
        time.sleep(5)

        def drill(name, fault, repair, hold=args.outage):
            load.drill = name
            started = time.monotonic()
            fault()
            time.sleep(hold)
            repair()
            ended = time.monotonic()
            time.sleep(10)
            windows[name] = (started, ended)
            print(f"drill {name}: done", flush=True)

        drill("redis-stop", stack.stop_redis, stack.start_redis)
        drill("postgres-restart", lambda: stack.pg_ctl("restart", "-m", "fast"), lambda: None, 0)
        drill("smtp-outage", stack.stop_smtp, stack.start_smtp, args.outage + 10)
        drill("worker-kill", stack.kill_worker, stack.start_worker, 5)
        load.drill = "after"
        time.sleep(5)
        load.finish()

        expected = Counter(address for _, address in load.signed_up)
        deadline = time.monotonic() + args.settle
        while time.monotonic() < deadline:
            delivered = delivered_to(stack.smtp.accepted)
            if all(delivered[address] >= 1 for address in expected):
                break
            time.sleep(5)
        delivered = delivered_to(stack.smtp.accepted)
        print_table(load, windows, delivered)
    finally:
        load.stop.set()
        stack.stop()
        shutil.rmtree(workdir / "pg", ignore_errors=True)
        print(f"logs in {workdir / 'logs'}")


def delivered_to(messages: list[bytes]) -> Counter:
    return Counter(email.message_from_bytes(raw)["To"] for raw in messages)


def print_table(load: Load, windows: dict, delivered: Counter) -> None:
    print()
    print(
        "| drill | requests | failed (statuses) | signups | lost emails | duplicated emails "
        "| recover s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, (_, ended) in windows.items():
        results = [(t, status) for t, drill, status in load.results if drill == name]
        failed = [t for t, status in results if not ok(status)]
        statuses = Counter(status for _, status in results if not ok(status))
        detail = ", ".join(f"{code or 'refused'}×{n}" for code, n in sorted(statuses.items()))
        recover = max((t - ended for t in failed if t >= ended), default=0.0)
        signups = [address for drill, address in load.signed_up if drill == name]
        lost = sum(1 for address in signups if delivered[address] == 0)
        duplicated = sum(delivered[address] - 1 for address in signups if delivered[address] > 1)
        print(
            f"| {name} | {len(results)} | {len(failed)}{f' ({detail})' if detail else ''} "
            f"| {len(signups)} | {lost} | "
            f"{duplicated} | {recover:.1f} |"
        )


if __name__ == "__main__":
    main()
