"""The members bench/load.py simulates: locust users reading pages and, one request in five,
writing (ask, answer, vote, comment, join, connect, accept).

Run by bench/load.py, never by hand: it writes the plan (sessions, ids to act on) to the file
named by BENCH_LOAD_PLAN, and reads back from BENCH_LOAD_ACKS every write the server
acknowledged (a redirect after the POST), to look each one up in the database afterwards.
"""

import json
import os
import random
import threading
import uuid

from locust import between, constant_throughput, events, task
from locust.contrib.fasthttp import FastHttpUser
from requests.cookies import create_cookie

PLAN = json.loads(open(os.environ["BENCH_LOAD_PLAN"]).read())  # noqa: SIM115
ACKS: list[dict] = []
SERVER_ERRORS = [0]
REFUSED = [0]
_LOCK = threading.Lock()
_MEMBERS = iter(PLAN["members"])
# The rate offered in all, in requests per second (bench/load.py --rate), shared by the members;
# 0: each member clicks again 50-250 ms after each answer, as fast as the server lets them.
RATE = float(os.environ.get("BENCH_LOAD_RATE") or 0)


@events.quitting.add_listener
def _write_acks(environment, **_kwargs):
    with open(os.environ["BENCH_LOAD_ACKS"], "w") as out:
        json.dump({"acks": ACKS, "server_errors": SERVER_ERRORS[0], "refused": REFUSED[0]}, out)


class Member(FastHttpUser):
    """FastHttpUser (geventhttpclient) rather than HttpUser (requests): the load generator
    shares the server's CPUs, and requests took about 3 ms of CPU per request from them."""

    # Paced, each member starts a request every len(members) / RATE seconds, unless the last
    # one took longer: a server that cannot keep up serves fewer than RATE, and the report shows
    # it.
    wait_time = constant_throughput(RATE / len(PLAN["members"])) if RATE else between(0.05, 0.25)

    def on_start(self):
        with _LOCK:
            self.me = next(_MEMBERS, None) or random.choice(PLAN["members"])  # noqa: S311
        # In the client's cookie jar, which also keeps what the server sets (messages…).
        self.client.cookiejar.set_cookie(create_cookie(PLAN["session_cookie"], self.me["session"]))
        self.client.cookiejar.set_cookie(create_cookie("csrftoken", PLAN["csrf"]))
        self.joinable = list(self.me["joinable"])
        self.targets = list(self.me["connect_to"])
        self.incoming = list(self.me["incoming"])
        self.slug = PLAN["group"]

    # Reads: four requests in five -----------------------------------------------------------

    def _get(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as response:
            self._judge(response, ok=(200,))

    @task(8)
    def home(self):
        self._get("/", "home")

    @task(8)
    def group_page(self):
        self._get(f"/gruppi/{self.slug}/", "group")

    @task(8)
    def thread_list(self):
        self._get(f"/gruppi/{self.slug}/domande/", "thread list")

    @task(16)
    def thread(self):
        question = random.choice(PLAN["questions"])  # noqa: S311
        self._get(f"/gruppi/{self.slug}/domande/{question}/", "thread")

    @task(4)
    def search(self):
        word = random.choice(["progetto", "cliente", "prezzo", "contratto"])  # noqa: S311
        self._get(f"/gruppi/cerca/?q={word}", "search")

    @task(4)
    def profile(self):
        self._get(f"/persone/{random.choice(PLAN['profiles'])}/", "profile")  # noqa: S311

    @task(4)
    def directory(self):
        self._get("/persone/", "directory")

    @task(4)
    def network(self):
        self._get("/rete/", "my network")

    @task(4)
    def notifications(self):
        self._get("/notifiche/", "notifications")

    # Writes: one request in five ------------------------------------------------------------

    def _post(self, path: str, name: str, data: dict, ack: dict) -> None:
        headers = {"X-CSRFToken": PLAN["csrf"], "Referer": self.host + path}
        with self.client.post(
            path, data=data, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if self._judge(response, ok=(302,)):
                with _LOCK:
                    ACKS.append(ack | {"user": self.me["id"]})

    def _judge(self, response, ok: tuple) -> bool:
        if response.status_code >= 500 or response.status_code == 0:
            with _LOCK:
                SERVER_ERRORS[0] += 1
            response.failure(f"status {response.status_code}")
            return False
        if response.status_code not in ok:
            with _LOCK:
                REFUSED[0] += 1
            response.failure(f"status {response.status_code}")
            return False
        response.success()
        return True

    @task(2)
    def ask(self):
        marker = uuid.uuid4().hex
        self._post(
            f"/gruppi/{self.slug}/domande/nuova/",
            "ask",
            {"title": f"Domanda di carico {marker}?", "body": f"Corpo {marker}"},
            {"kind": "post", "marker": marker},
        )

    @task(3)
    def answer(self):
        marker = uuid.uuid4().hex
        question = random.choice(PLAN["questions"])  # noqa: S311
        self._post(
            f"/gruppi/{self.slug}/domande/{question}/rispondi/",
            "answer",
            {"body": f"Risposta di carico {marker}"},
            {"kind": "post", "marker": marker},
        )

    @task(3)
    def vote(self):
        post = random.choice(self.me["votable"])  # noqa: S311
        value = random.choice([1, -1])  # noqa: S311
        self._post(
            f"/gruppi/{self.slug}/post/{post}/vota/",
            "vote",
            {"value": str(value)},
            {"kind": "vote", "post": post, "value": value},
        )

    @task(3)
    def comment(self):
        marker = uuid.uuid4().hex
        post = random.choice(PLAN["questions"])  # noqa: S311
        self._post(
            f"/gruppi/{self.slug}/post/{post}/commenta/",
            "comment",
            {"body": f"Commento di carico {marker}"},
            {"kind": "comment", "marker": marker},
        )

    def _instead(self) -> None:
        """A member with nothing left to join, ask or accept: paced, they read their home in
        that turn, so that the rate offered stays what was asked."""
        if RATE:
            self.home()

    @task(1)
    def join(self):
        if not self.joinable:
            return self._instead()
        slug = self.joinable.pop()
        self._post(f"/gruppi/{slug}/unisciti/", "join", {}, {"kind": "join", "group": slug})

    @task(1)
    def connect(self):
        if not self.targets:
            return self._instead()
        other = self.targets.pop()
        self._post(
            f"/rete/persone/{other}/connetti/",
            "connect",
            {"message": "Ciao, ci conosciamo dal gruppo."},
            {"kind": "connect", "other": other},
        )

    @task(1)
    def accept(self):
        if not self.incoming:
            return self._instead()
        request_id, sender = self.incoming.pop()
        self._post(
            f"/rete/richieste/{request_id}/",
            "accept",
            {"action": "accept"},
            {"kind": "accept", "other": sender},
        )
