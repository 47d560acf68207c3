"""The push channel (connections/live.py through config/asgi.py), called as uvicorn calls it:
who may open a stream, and that a member's stream carries their events only, names only."""

import asyncio
import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from connections import live
from connections.conversations import ConversationError, stream_token
from connections.models import Block, Conversation

STREAM = "/rete/messaggi/eventi/"


def run(coroutine):
    """asyncio.run in a thread of its own: a browser test before this one may have left
    Playwright's event loop running in the test thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def call(path: str, query: str = "", *, method: str = "GET", until=None, timeout=5.0):
    """Run the ASGI app for one request; returns (status, headers, body). `until(body)` ends
    the request (as a closed tab does) once it is true."""
    from config.asgi import application

    sent: list[dict] = []
    closed = asyncio.Event()

    async def receive():
        await closed.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        if until is not None and until(body.decode()):
            closed.set()

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [],
    }
    task = asyncio.create_task(application(scope, receive, send))
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout)
    except TimeoutError:
        closed.set()
        await asyncio.wait_for(task, 5)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body.decode()


def test_a_stream_without_a_token_or_with_a_forged_one_is_refused(dave):
    token = stream_token(dave)
    forged = re.sub(r"^[^:]+", "OTk", token)  # another user id, the signature of Dave's
    for query in ["", "t=", "t=abc", f"t={forged}", f"t={token}x"]:
        status, _headers, _body = run(call(STREAM, query))
        assert status == 403, query


def test_only_get_opens_a_stream(dave):
    status, headers, _body = run(call(STREAM, f"t={stream_token(dave)}", method="POST"))
    assert status == 405 and headers[b"allow"] == b"GET"


def test_gunicorn_answers_the_stream_path_with_204(dave_client):
    """Without the proxy's route the WSGI site must not hold the stream: 204 stops EventSource
    and the page polls."""
    assert dave_client.get(STREAM).status_code == 204


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL: the push channel listens on Redis (CI step 2)")
    live.hub = None  # a hub on this test's Redis db
    yield url
    live.hub = None


@pytest.mark.django_db(transaction=True)
def test_a_members_stream_carries_their_events_and_nobody_elses(redis_url, make_user):
    from django.db import connection

    dave = make_user("dave@example.com", "Davide Ricci")
    erin = make_user("erin@example.com", "Erica Marino")
    bob = make_user("bob@example.com", "Roberto Bianchi")
    low, high = sorted([dave.pk, erin.pk])
    from connections.models import Connection

    Connection.objects.create(user_low_id=low, user_high_id=high)
    conversation, _m = Conversation.start(dave, erin, "Ciao")
    connection.close()  # the event loop's thread must not share it

    async def scenario():
        erin_stream = asyncio.create_task(
            call(STREAM, f"t={stream_token(erin)}", until=lambda b: "event: badge" in b)
        )
        bob_stream = asyncio.create_task(call(STREAM, f"t={stream_token(bob)}", timeout=3))
        await asyncio.sleep(1)
        publisher = redis.Redis.from_url(redis_url)
        # What a message from Dave publishes (connections.conversations.announce).
        publisher.publish(f"talk:u:{erin.pk}", f"conv-{conversation.pk} badge")
        publisher.publish(f"talk:u:{dave.pk}", f"conv-{conversation.pk}")
        return await erin_stream, await bob_stream

    (erin_status, erin_headers, erin_body), (bob_status, _h, bob_body) = run(scenario())
    assert erin_status == 200
    assert erin_headers[b"content-type"] == b"text/event-stream"
    assert f"event: conv-{conversation.pk}\n" in erin_body and "event: badge\n" in erin_body
    assert "Ciao" not in erin_body  # names of events only, never content
    assert bob_status == 200 and "event:" not in bob_body


@pytest.mark.django_db(transaction=True)
def test_a_blocked_member_gets_no_more_events_about_the_conversation(
    redis_url, make_user, django_capture_on_commit_callbacks
):
    """After a block neither side can write, so nothing is announced to the other."""
    dave = make_user("dave@example.com", "Davide Ricci")
    erin = make_user("erin@example.com", "Erica Marino")
    from connections.models import Connection, Participant

    low, high = sorted([dave.pk, erin.pk])
    Connection.objects.create(user_low_id=low, user_high_id=high)
    conversation, _m = Conversation.start(dave, erin, "Ciao")
    Block.block(erin, dave)
    subscriber = redis.Redis.from_url(redis_url).pubsub()
    subscriber.subscribe(f"talk:u:{erin.pk}")
    subscriber.get_message(timeout=1)
    with pytest.raises(ConversationError):
        conversation.post(dave, "Ci sei?")
    assert Participant.mark_delivered(erin) == 0
    assert subscriber.get_message(timeout=1) is None
