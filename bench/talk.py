"""Conversations live: 200 open conversations receiving 10 messages a second in all, on the
production processes (gunicorn for the pages, uvicorn for the push channel, Redis pub/sub).

    make bench-talk
    .venv/bin/python -m bench.talk [--conversations 200] [--rate 10] [--seconds 30]

Each conversation's recipient holds an open stream, as an open page does. A sender POSTs a
message to a random conversation (at `--rate` per second in all); the recipient's stream names
the conversation, and the "page" fetches the live fragment (the same GET htmx makes). End to
end is from just before the POST to the fragment holding the message; the verdict line is
PASS when its p95 is under 2 s. Memory per open stream: the uvicorn processes' RSS with all
streams open, less their RSS before, divided by the number of streams.
Writes bench/results/talk.md. Empties the tables of its database (gilda_bench* only).
"""

import argparse
import asyncio
import contextlib
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import setup_django

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_P95 = 2.0
CSRF = "b" * 32
PROD_ENV = {
    "GILDA_ENV": "prod",
    "DEBUG": "false",
    "SECRET_KEY": "bench-talk-not-a-secret-" + "t" * 50,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "MAIL_URL": "locmem://",
    "CELERY_EAGER": "false",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "SECURE_HSTS_SECONDS": "0",
    "LOG_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


WEB_PORT, TALK_PORT = free_port(), free_port()


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn's workers), in KiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def seed(conversations: int) -> list[dict]:
    """Pairs of connected members, each with a conversation and one message; a session per
    member. Returns, per conversation: ids, the two session cookies and the stream token."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from connections.conversations import stream_token
    from connections.models import Connection, Conversation, Message, Participant
    from profiles.models import OutboxTask, User

    for model in (Message, Participant, Conversation, Connection, OutboxTask):
        model.objects.all().delete()
    User.objects.filter(email__endswith="@bench-talk.example").delete()
    users = User.objects.bulk_create(
        User(email=f"m{i}@bench-talk.example", display_name=f"Membro {i}", password="!")
        for i in range(2 * conversations)
    )
    rows = []
    for i in range(conversations):
        sender, recipient = users[2 * i], users[2 * i + 1]
        Connection.objects.create(user_low_id=sender.pk, user_high_id=recipient.pk)
        conversation, _m = Conversation.start(sender, recipient, "Ciao, iniziamo.")
        sessions = []
        for user in (sender, recipient):
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "profiles.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            sessions.append(store.session_key)
        rows.append(
            {
                "conversation": conversation.pk,
                "sender_session": sessions[0],
                "recipient_session": sessions[1],
                "token": stream_token(recipient),
            }
        )
    OutboxTask.objects.all().delete()  # the unread-email intents: no worker runs here
    return rows


def start(command: list[str], log: Path) -> subprocess.Popen:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


async def wait_up(client, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if (await client.get(url)).status_code == 200:
                return
        except Exception:  # noqa: BLE001, S110 - not up yet
            pass
        await asyncio.sleep(0.3)
    raise SystemExit(f"{url} never answered")


async def run(rows: list[dict], args, talk_pid: int) -> dict:
    import httpx

    limits = httpx.Limits(max_connections=2 * len(rows) + 50, max_keepalive_connections=100)
    timeout = httpx.Timeout(30.0, read=None)
    web = f"http://127.0.0.1:{WEB_PORT}"
    talk = f"http://127.0.0.1:{TALK_PORT}"
    sent: dict[str, float] = {}
    event_lat: list[float] = []
    e2e_lat: list[float] = []
    post_lat: list[float] = []
    evented: set[str] = set()
    errors = {"post": 0, "fetch": 0, "stream": 0}
    opened = 0

    async with (
        httpx.AsyncClient(limits=limits, timeout=timeout) as streams,
        httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0)) as pages,
    ):
        await wait_up(pages, f"{web}/healthz")
        await wait_up(pages, f"{talk}/healthz")
        # Warm every gunicorn worker (imports, connections) before measuring anything.
        warm = rows[0]
        for _ in range(3):
            await asyncio.gather(
                *(
                    pages.get(
                        f"{web}/rete/messaggi/{warm['conversation']}/",
                        cookies={"sessionid": warm["recipient_session"]},
                    )
                    for _ in range(4 * args.web_workers)
                ),
                *(
                    pages.post(
                        f"{web}/rete/messaggi/{warm['conversation']}/",
                        data={"body": "riscaldamento"},
                        cookies={"sessionid": warm["sender_session"], "csrftoken": CSRF},
                        headers={"X-CSRFToken": CSRF},
                    )
                    for _ in range(args.web_workers)
                ),
            )
        memory_before = rss_kib(talk_pid)
        all_open = asyncio.Event()

        async def page(row: dict) -> None:
            nonlocal opened
            cookies = {"sessionid": row["recipient_session"]}
            live = f"{web}/rete/messaggi/{row['conversation']}/?part=live&v=0"
            url = f"{talk}/rete/messaggi/eventi/?t={row['token']}"
            try:
                async with streams.stream("GET", url) as response:
                    if response.status_code != 200:
                        errors["stream"] += 1
                        return
                    opened += 1
                    if opened == len(rows):
                        all_open.set()
                    async for line in response.aiter_lines():
                        if not line.startswith("event: conv-"):
                            continue
                        at = time.monotonic()
                        pending = [k for k in sent if k.startswith(f"{row['conversation']}:")]
                        for key in pending:
                            if key not in evented:
                                evented.add(key)
                                event_lat.append(at - sent[key])
                        try:
                            fetched = await pages.get(
                                live, cookies=cookies, headers={"HX-Request": "true"}
                            )
                        except httpx.HTTPError:
                            errors["fetch"] += 1
                            continue
                        done = time.monotonic()
                        if fetched.status_code != 200:
                            errors["fetch"] += 1
                            continue
                        for key in pending:
                            if key.split(":", 1)[1] in fetched.text:
                                e2e_lat.append(done - sent.pop(key))
            except (httpx.HTTPError, asyncio.CancelledError):
                return

        readers = [asyncio.create_task(page(row)) for row in rows]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_open.wait(), timeout=60)
        await asyncio.sleep(1)
        memory_open = rss_kib(talk_pid)

        async def post(row: dict, number: int) -> None:
            text = f"msg{number:06d}x"
            key = f"{row['conversation']}:{text}"
            sent[key] = time.monotonic()
            try:
                response = await pages.post(
                    f"{web}/rete/messaggi/{row['conversation']}/",
                    data={"body": text},
                    cookies={"sessionid": row["sender_session"], "csrftoken": CSRF},
                    headers={"X-CSRFToken": CSRF},
                )
            except httpx.HTTPError:
                errors["post"] += 1
                sent.pop(key, None)
                return
            post_lat.append(time.monotonic() - sent.get(key, time.monotonic()))
            if response.status_code != 302:
                errors["post"] += 1
                sent.pop(key, None)

        total = int(args.rate * args.seconds)
        posts = []
        started = time.monotonic()
        for number in range(total):
            delay = started + number / args.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            posts.append(asyncio.create_task(post(random.choice(rows), number)))
        await asyncio.gather(*posts)
        drain = time.monotonic() + 60  # a saturated server is slow, not lossy: wait it out
        while sent and time.monotonic() < drain:
            await asyncio.sleep(0.2)
        elapsed = time.monotonic() - started
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)

    return {
        "streams": opened,
        "sent": total,
        "delivered": len(e2e_lat),
        "lost": len(sent),  # never confirmed within a minute of the last send
        "errors": errors,
        "elapsed": elapsed,
        "event": event_lat,
        "post": post_lat,
        "e2e": e2e_lat,
        "memory_before": memory_before,
        "memory_open": memory_open,
    }


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description="Conversations live: delivery and memory.")
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second, in all")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--talk-workers", type=int, default=2)
    parser.add_argument("--output", default=str(RESULTS / "talk.md"))
    args = parser.parse_args(argv)

    os.environ.update(PROD_ENV)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    print(f"seeding {args.conversations} conversations…", flush=True)
    rows = seed(args.conversations)

    logs = Path(tempfile.mkdtemp(prefix="gilda-bench-talk-"))
    bin_dir = ROOT / ".venv" / "bin"
    web = start(
        [str(bin_dir / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{WEB_PORT}",
         "--workers", str(args.web_workers), "--log-level", "warning"],
        logs / "web.log",
    )  # fmt: skip
    talk = start(
        [str(bin_dir / "uvicorn"), "config.asgi:application", "--host", "127.0.0.1",
         "--port", str(TALK_PORT), "--workers", str(args.talk_workers), "--no-access-log",
         "--timeout-graceful-shutdown", "1", "--log-level", "warning"],
        logs / "talk.log",
    )  # fmt: skip
    time.sleep(2)
    for name, process in (("gunicorn", web), ("uvicorn", talk)):
        if process.poll() is not None:
            raise SystemExit(f"{name} did not start: see {logs}")
    try:
        result = asyncio.run(run(rows, args, talk.pid))
    finally:
        for process in (web, talk):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    per_stream = (result["memory_open"] - result["memory_before"]) / max(result["streams"], 1)
    p95 = pct(result["e2e"], 95)
    ok = (
        p95 < TARGET_P95
        and result["streams"] == args.conversations
        and result["lost"] == 0
        and not any(result["errors"].values())
    )
    verdict = (
        f"{'PASS' if ok else 'FAIL'}: {result['streams']} open streams, "
        f"{result['sent']} messages at {args.rate:g}/s, end-to-end p95 {p95 * 1000:.0f} ms "
        f"(target < {TARGET_P95 * 1000:.0f} ms), lost {result['lost']}, "
        f"errors {result['errors']}, {per_stream:.1f} KiB per open stream"
    )
    table = "\n".join(
        [
            "# Conversations live (`make bench-talk`)",
            "",
            f"{platform.node()}: {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f} "
            f"at the end), Python {platform.python_version()}; "
            f"gunicorn {args.web_workers} sync workers, uvicorn {args.talk_workers} workers; "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
            "",
            "| measure | p50 | p95 | p99 | max |",
            "| --- | --- | --- | --- | --- |",
            *(
                f"| {name} | {pct(values, 50) * 1000:.0f} ms | {pct(values, 95) * 1000:.0f} ms "
                f"| {pct(values, 99) * 1000:.0f} ms | {max(values, default=0) * 1000:.0f} ms |"
                for name, values in [
                    ("POST (sender's request, answered)", result["post"]),
                    ("POST → stream event", result["event"]),
                    ("POST → fragment with the message (end to end)", result["e2e"]),
                ]
            ),
            "",
            f"uvicorn RSS: {result['memory_before'] / 1024:.1f} MiB before, "
            f"{result['memory_open'] / 1024:.1f} MiB with {result['streams']} streams open "
            f"({per_stream:.1f} KiB per stream).",
            "",
            verdict,
            "",
        ]
    )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(table)
    print(table)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
