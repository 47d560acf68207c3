"""Fault drills (`make drills`): the production stack on private services, faults under load.

Starts a private PostgreSQL (initdb in a temp dir), a private Redis and a loopback SMTP server,
each on a free port of its own, then gunicorn (2 workers), a Celery worker and beat with
GILDA_ENV=prod. Never touches the machine's shared PostgreSQL or Redis. Each drill runs a small
loopback load while one fault happens: threads sign up (each signup owes one verification
email), answer a question as a logged-in member (each answer owes the asker one notification)
and read pages. The faults:

- redis-stop: Redis killed for 20 s, then started again;
- postgres-restart: `pg_ctl restart -m fast`;
- smtp-outage: the SMTP server gone for 30 s;
- worker-kill: the whole Celery worker SIGKILLed mid-load, then started again (as a supervisor
  would); gunicorn is never restarted.

At the end it waits for every side effect and prints, per drill: requests, failed requests,
acknowledged writes, lost and duplicated side effects (emails and notifications; a lost write,
an acknowledged answer missing from the database, counts as lost too), and the seconds until
requests succeed again after the fault ends. It exits with status 1 if anything was lost or
duplicated or a drill did not recover. `--short` (CI) holds each fault for less time.
"""

import argparse
import contextlib
import email
import http.cookiejar
import json
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

from tests.smtp_server import SMTPServer, closed_port  # noqa: E402 - after the path set-up

# Free ports of their own, never the machine's 5432 and 6379.
PG_PORT, REDIS_PORT, WEB_PORT = closed_port(), closed_port(), closed_port()
MEMBER_PASSWORD = "una-password-lunga-2026"  # noqa: S105 - drill accounts on a throwaway database
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
PYTHON = sys.executable


def as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["su", "postgres", "-c", " ".join(command)]
    return command


class Stack:
    def __init__(self, workdir: Path, members: int):
        self.dir = workdir
        self.members = members
        self.world: dict = {}
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
            ["redis-server", "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--save", "",
             "--appendonly", "no",
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
        self.world = self.create_world()
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

    def create_world(self) -> dict:
        """An open group, an asker and their question, and one verified member per load
        thread (the answerers)."""
        code = f"""
import json
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from groups.models import Group, Post, Sector
from profiles.models import User
hashed = make_password({MEMBER_PASSWORD!r})
def member(address):
    user = User.objects.create(email=address, display_name=address.split("@")[0], password=hashed)
    EmailAddress.objects.create(user=user, email=address, verified=True, primary=True)
    return user
sector = Sector.objects.first() or Sector.objects.create(slug="drills", name="Drills")
asker = member("asker@drills.example.com")
group = Group.create_with_owner(asker, name="Drills", slug="drills", sector=sector,
                                visibility=Group.Visibility.OPEN)
question = Post.ask(group, asker, title="Una domanda per le prove", body="Rispondete pure.")
members = []
for i in range({self.members}):
    user = member(f"member{{i}}@drills.example.com")
    group.join(user)
    members.append(user.email)
print("WORLD " + json.dumps({{"slug": group.slug, "question": question.pk, "asker": asker.pk,
                             "members": members}}))
"""
        out = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=self.env, check=True,
            capture_output=True, text=True,
        ).stdout  # fmt: skip
        line = next(ln for ln in out.splitlines() if ln.startswith("WORLD "))
        return json.loads(line[len("WORLD ") :])

    def query(self, sql: str, params=()) -> list[tuple]:
        import psycopg

        url = f"host=127.0.0.1 port={PG_PORT} user=postgres dbname=gilda_drills"
        with psycopg.connect(url) as connection:
            return connection.execute(sql, params).fetchall()

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
    """Threads signing up (each signup owes one verification email), answering the drill
    question as a logged-in member (each answer owes the asker one notification) and reading
    pages."""

    def __init__(self, threads: int, world: dict):
        self.threads = threads
        self.world = world
        self.results: list[tuple[float, str, int]] = []  # (time, drill, status)
        self.signed_up: list[tuple[str, str]] = []  # (drill, email)
        self.answered: list[tuple[str, str]] = []  # (drill, marker in the answer's body)
        self.drill = "warm-up"
        self.stop = threading.Event()
        self.counter = 0
        self.lock = threading.Lock()

    def next_number(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    @staticmethod
    def opener(client_ip: str):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        # The load arrives "through a proxy", each client from its own address, so allauth's
        # per-address limits do not turn the load itself into 429s.
        opener.addheaders = [("X-Forwarded-For", client_ip)]
        return opener

    def post_form(self, opener, page: str, action: str, fields: dict) -> int:
        """GET the page for its CSRF token, then POST the form; the POST's status (0 if the
        page itself failed)."""
        base = f"http://127.0.0.1:{WEB_PORT}"
        status, html = get(f"{base}{page}", opener)
        self.record(status)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if not token:
            return 0
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), **fields})
        request = urllib.request.Request(f"{base}{action}", data=data.encode())  # noqa: S310
        status, _ = get(request, opener)
        self.record(status)
        return status

    def signup(self) -> None:
        number = self.next_number()
        client_ip = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
        address = f"drill{number}-{int(time.time())}@example.com"
        drill = self.drill
        fields = {"email": address, "password1": MEMBER_PASSWORD, "password2": MEMBER_PASSWORD}
        opener = self.opener(client_ip)
        if self.post_form(opener, "/accounts/signup/", "/accounts/signup/", fields) == 302:
            self.signed_up.append((drill, address))

    def answer(self, member: dict) -> None:
        if not member.get("logged_in"):
            fields = {"login": member["email"], "password": MEMBER_PASSWORD}
            status = self.post_form(
                member["opener"], "/accounts/login/", "/accounts/login/", fields
            )
            member["logged_in"] = status == 302
            if not member["logged_in"]:
                return
        thread = f"/gruppi/{self.world['slug']}/domande/{self.world['question']}/"
        marker = f"drill-answer-{self.next_number()}"
        drill = self.drill
        body = f"Risposta di prova {marker}: il contenuto conta."
        if self.post_form(member["opener"], thread, f"{thread}rispondi/", {"body": body}) == 302:
            self.answered.append((drill, marker))

    def record(self, status: int) -> None:
        self.results.append((time.monotonic(), self.drill, status))

    def run(self, index: int) -> None:
        member = {
            "email": self.world["members"][index],
            "opener": self.opener(f"172.16.0.{index + 1}"),
        }
        while not self.stop.is_set():
            self.signup()
            self.answer(member)
            self.record(get(f"http://127.0.0.1:{WEB_PORT}/gruppi/")[0])
            time.sleep(0.2)

    def start(self) -> None:
        self.workers = [
            threading.Thread(target=self.run, args=(index,), daemon=True)
            for index in range(self.threads)
        ]
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
    parser.add_argument(
        "--settle", type=float, default=420, help="max wait for side effects (a killed "
        "worker's come back when their 300 s lease runs out)",
    )  # fmt: skip
    parser.add_argument(
        "--short", action="store_true", help="CI: 2 threads, 8 s outages (about 5 minutes)"
    )
    args = parser.parse_args()
    if args.short:
        args.threads, args.outage = 2, 8
    if PG_BIN is None or not shutil.which("redis-server"):
        sys.exit("needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) and redis-server")

    workdir = Path(tempfile.mkdtemp(prefix="gilda-drills-"))
    stack = Stack(workdir, members=args.threads)
    windows: dict[str, tuple[float, float]] = {}
    load = None
    failed = True
    try:
        stack.start_smtp()
        stack.start_postgres()
        stack.start_redis()
        stack.start_app()
        load = Load(args.threads, stack.world)
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

        started = time.monotonic()
        deadline = started + args.settle
        while True:
            effects = side_effects(stack, load)
            if all_arrived(load, effects) or time.monotonic() > deadline:
                break
            time.sleep(5)
        print(f"side effects settled in {time.monotonic() - started:.0f} s", flush=True)
        failed = print_table(load, windows, effects)
    finally:
        if load:
            load.stop.set()
        stack.stop()
        shutil.rmtree(workdir / "pg", ignore_errors=True)
        print(f"logs in {workdir / 'logs'}")
    if failed:
        sys.exit("drills: something was lost or duplicated, or a drill did not recover")


def delivered_to(messages: list[bytes]) -> Counter:
    return Counter(email.message_from_bytes(raw)["To"] for raw in messages)


def side_effects(stack: Stack, load: Load) -> dict:
    """Emails as the SMTP server received them; answers and the asker's notifications as the
    database holds them, per marker."""
    answers = dict(
        stack.query(
            "SELECT substring(body from 'drill-answer-[0-9]+'), id FROM groups_post "
            "WHERE kind = 'answer' AND question_id = %s",
            [stack.world["question"]],
        )
    )
    told = Counter(
        answer_id
        for (answer_id,) in stack.query(
            "SELECT (params->>'answer_id')::bigint FROM profiles_notification "
            "WHERE kind = 'group-new-answer' AND recipient_id = %s",
            [stack.world["asker"]],
        )
    )
    return {"emails": delivered_to(stack.smtp.accepted), "answers": answers, "told": told}


def all_arrived(load: Load, effects: dict) -> bool:
    return all(effects["emails"][address] >= 1 for _, address in load.signed_up) and all(
        effects["told"][answer_id] >= 1 for answer_id in effects["answers"].values()
    )


def print_table(load: Load, windows: dict, effects: dict) -> bool:
    """Print the table; True if anything was lost or duplicated, or a drill kept failing."""
    print()
    print(
        "| drill | requests | failed (statuses) | signups | answers | lost | duplicated "
        "| recover s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    emails, answers, told = effects["emails"], effects["answers"], effects["told"]
    bad = False
    for name, (_, ended) in windows.items():
        results = [(t, status) for t, drill, status in load.results if drill == name]
        failed = [t for t, status in results if not ok(status)]
        statuses = Counter(status for _, status in results if not ok(status))
        detail = ", ".join(f"{code or 'refused'}×{n}" for code, n in sorted(statuses.items()))
        recover = max((t - ended for t in failed if t >= ended), default=0.0)
        signups = [address for drill, address in load.signed_up if drill == name]
        markers = [marker for drill, marker in load.answered if drill == name]
        lost = sum(1 for address in signups if emails[address] == 0)
        lost += sum(1 for marker in markers if marker not in answers)  # lost writes
        lost += sum(1 for marker in markers if marker in answers and told[answers[marker]] == 0)
        duplicated = sum(emails[address] - 1 for address in signups if emails[address] > 1)
        duplicated += sum(told[answers[m]] - 1 for m in markers if told.get(answers.get(m), 0) > 1)
        bad |= lost > 0 or duplicated > 0 or recover > 9  # still failing near the drill's end
        print(
            f"| {name} | {len(results)} | {len(failed)}{f' ({detail})' if detail else ''} "
            f"| {len(signups)} | {len(markers)} | {lost} | {duplicated} | {recover:.1f} |"
        )
    # Answers written during a drill whose request failed still owe their notification.
    unacknowledged = set(answers) - {marker for _, marker in load.answered}
    silent = [m for m in unacknowledged if told[answers[m]] != 1]
    if silent:
        print(f"answers stored without an acknowledgement and not notified once: {silent}")
        bad = True
    return bad


if __name__ == "__main__":
    main()
