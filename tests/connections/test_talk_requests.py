"""Message requests between members who share a group, read receipts both ways, delivery
states, the badge and the polling fragment's conditional GET."""

import pytest
from django.test import Client

from connections.models import Block, Conversation, Message, MessagingSettings, Participant

pytestmark = pytest.mark.usefixtures("within_one_minute")  # kept pages: tests/conftest.py

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="profiles.backends.ModelBackend")
    return client


# bob and the moderator share alice's closed group; neither is connected to the other.


def test_sharing_a_group_sends_one_message_request(closed_group, bob, moderator):
    client = client_for(bob)
    page = client.get(f"/rete/messaggi/scrivi/{moderator.pk}/")
    assert 'data-testid="talk-request-note"' in page.content.decode()
    response = client.post(f"/rete/messaggi/scrivi/{moderator.pk}/", {"body": "Ciao Monica"})
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert conversation.state == Conversation.State.REQUEST
    assert conversation.started_by == bob
    # Only one message until it is accepted.
    again = client.post(f"/rete/messaggi/{conversation.pk}/", {"body": "Hai visto?"})
    assert again.status_code == 400
    assert "waiting for an answer" in again.content.decode() or "attesa" in again.content.decode()
    assert Message.objects.count() == 1


def test_recipient_sees_the_request_apart_and_accepts(closed_group, bob, moderator):
    conversation, _m = Conversation.start(bob, moderator, "Ciao Monica")
    client = client_for(moderator)
    inbox = client.get("/rete/messaggi/").content.decode()
    assert 'data-testid="talk-request"' in inbox and 'data-testid="talk-row"' not in inbox
    page = client.get(f"/rete/messaggi/{conversation.pk}/").content.decode()
    assert 'data-testid="incoming-request"' in page and 'data-testid="composer"' not in page
    client.post(f"/rete/messaggi/{conversation.pk}/azione/", {"action": "accept"})
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.ACTIVE
    assert (
        client_for(bob).post(f"/rete/messaggi/{conversation.pk}/", {"body": "Grazie!"}).status_code
        == 302
    )
    assert Message.objects.count() == 2


def test_an_ignored_request_stays_ignored_and_the_sender_is_not_told(closed_group, bob, moderator):
    conversation, _m = Conversation.start(bob, moderator, "Ciao Monica")
    client = client_for(moderator)
    client.post(f"/rete/messaggi/{conversation.pk}/azione/", {"action": "ignore"})
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.IGNORED
    inbox = client.get("/rete/messaggi/").content.decode()
    assert "Roberto" not in inbox
    assert Participant.objects.badge_for(moderator).count() == 0
    # The sender's side looks exactly as before: waiting.
    sender_page = client_for(bob).get(f"/rete/messaggi/{conversation.pk}/").content.decode()
    assert 'data-testid="request-waiting"' in sender_page
    assert "ignor" not in sender_page.lower()
    # And a second request through "write to" is still refused.
    again = client_for(bob).post(f"/rete/messaggi/scrivi/{moderator.pk}/", {"body": "Ehi?"})
    assert again.status_code == 400
    assert Message.objects.count() == 1
    # The recipient may still open it by its address, and accept it after all.
    page = client.get(f"/rete/messaggi/{conversation.pk}/")
    assert page.status_code == 200 and 'data-testid="accept-request"' in page.content.decode()
    client.post(f"/rete/messaggi/{conversation.pk}/azione/", {"action": "accept"})
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.ACTIVE


def test_a_first_message_request_cannot_contain_links(closed_group, bob, moderator):
    response = client_for(bob).post(
        f"/rete/messaggi/scrivi/{moderator.pk}/", {"body": "Guarda www.miosito.it"}
    )
    assert response.status_code == 400
    assert "Guarda www.miosito.it" in response.content.decode()  # the draft is kept
    assert not Conversation.objects.exists()


def test_message_requests_are_rate_limited_stricter_for_new_accounts(
    closed_group, bob, make_user, settings
):
    settings.TALK_DAILY_CAP_NEW = 2
    members = [make_user(f"m{i}@example.com", f"Membro {i}") for i in range(3)]
    for member in members:
        closed_group.add_member(member)
    client = client_for(bob)  # joined today: a new account
    codes = [
        client.post(f"/rete/messaggi/scrivi/{m.pk}/", {"body": "Ciao!"}).status_code
        for m in members
    ]
    assert codes == [302, 302, 400]
    assert Conversation.objects.filter(started_by=bob).count() == 2


# Read receipts and delivery ----------------------------------------------------------------


@pytest.fixture
def chat(dave, erin, connect):
    connect(dave, erin)
    conversation, _m = Conversation.start(dave, erin, "Ciao Erica")
    return conversation


def status_seen_by(user, conversation) -> str:
    html = client_for(user).get(f"/rete/messaggi/{conversation.pk}/").content.decode()
    return html.split('data-testid="message" data-status="', 1)[1].split('"', 1)[0]


def test_states_go_sent_delivered_read(chat, dave, erin):
    assert status_seen_by(dave, chat) == "sent"
    client_for(erin).get("/rete/messaggi/badge/")
    assert status_seen_by(dave, chat) == "delivered"
    client_for(erin).get(f"/rete/messaggi/{chat.pk}/")
    assert status_seen_by(dave, chat) == "read"


@pytest.mark.parametrize("who_turns_off", ["reader", "sender"])
def test_read_receipts_off_either_side_hides_read_both_ways(chat, dave, erin, who_turns_off):
    off = erin if who_turns_off == "reader" else dave
    client_for(off).post("/rete/messaggi/impostazioni/", {})
    assert not MessagingSettings.objects.get(user=off).read_receipts
    Conversation.start(erin, dave, "Ciao Davide")
    client_for(erin).get(f"/rete/messaggi/{chat.pk}/")  # Erin reads Dave's message
    client_for(dave).get(f"/rete/messaggi/{chat.pk}/")  # Dave reads Erin's
    # Neither sees "read": only "delivered".
    dave_page = client_for(dave).get(f"/rete/messaggi/{chat.pk}/").content.decode()
    erin_page = client_for(erin).get(f"/rete/messaggi/{chat.pk}/").content.decode()
    assert 'data-status="read"' not in dave_page and 'data-status="delivered"' in dave_page
    assert 'data-status="read"' not in erin_page and 'data-status="delivered"' in erin_page
    # Turned back on, both see it again.
    client_for(off).post("/rete/messaggi/impostazioni/", {"read_receipts": "on"})
    assert (
        'data-status="read"' in client_for(dave).get(f"/rete/messaggi/{chat.pk}/").content.decode()
    )


def test_badge_counts_unread_conversations_and_revalidates(chat, erin, dave):
    client = client_for(erin)
    response = client.get("/rete/messaggi/badge/")
    assert response.status_code == 200 and 'data-count="1"' in response.content.decode()
    etag = response["ETag"]
    assert client.get("/rete/messaggi/badge/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    client.get(f"/rete/messaggi/{chat.pk}/")
    response = client.get("/rete/messaggi/badge/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and 'data-count="0"' in response.content.decode()
    # The navigation shows it on every page.
    Conversation.start(dave, erin, "Ancora io")
    assert 'data-count="1"' in client.get("/").content.decode()


def test_polling_is_a_conditional_get(chat, dave, erin, django_assert_num_queries):
    client = client_for(erin)
    client.get(f"/rete/messaggi/{chat.pk}/")
    chat.refresh_from_db()
    url = f"/rete/messaggi/{chat.pk}/?part=live&v={chat.version}"
    # user, the side with its conversation's version: nothing else
    with django_assert_num_queries(2):
        assert client.get(url, **HTMX).status_code == 204
    Conversation.start(dave, erin, "Nuovo messaggio")
    response = client.get(url, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "Nuovo messaggio" in html and 'id="talk-live"' in html


# Query counts: constant as the inbox and the conversation grow -----------------------------


def fill(dave, make_user, connect, size: int) -> Conversation:
    first = None
    for i in range(size):
        other = make_user(f"amico{i}@example.com", f"Amico {i:02d}")
        connect(dave, other)
        conversation, _m = Conversation.start(other, dave, f"Messaggio {i}")
        for j in range(size):
            conversation.post(dave if j % 2 else other, f"Risposta {i}.{j}")
        first = first or conversation
    return first


@pytest.mark.parametrize("size", [2, 12])
def test_inbox_queries(dave, make_user, connect, size, django_assert_num_queries, settings):
    fill(dave, make_user, connect, size)
    client = client_for(dave)
    client.get("/rete/messaggi/")  # delivery marks done once
    # Kept for dave (config.page_cache.kept_for_member): user; nav badges (the delivery check
    # is skipped while nothing can have arrived: Participant.deliver_to)
    with django_assert_num_queries(2):
        kept = client.get("/rete/messaggi/")
    assert kept.context is None
    settings.MEMBER_PAGE_SECONDS = 0  # rendered every time
    # user; nav badges; rows count, rows; requests; receipts setting
    with django_assert_num_queries(6):
        response = client.get("/rete/messaggi/")
    assert response.content.decode().count('data-testid="talk-row"') == size
    assert kept.content.decode().count('data-testid="talk-row"') == size


def test_the_kept_inbox_delivers_and_shows_a_new_message_at_once(chat, dave, erin):
    client = client_for(erin)
    client.get("/rete/messaggi/")
    assert client.get("/rete/messaggi/").context is None  # kept
    message = chat.post(dave, "Ci sei domani?")
    side = Participant.objects.get(conversation=chat, user=erin)
    assert side.delivered_up_to < message.pk
    page = client.get("/rete/messaggi/")
    assert "Ci sei domani?" in page.content.decode()
    side.refresh_from_db()
    assert side.delivered_up_to == message.pk  # delivered by reaching the inbox


@pytest.mark.parametrize("size", [2, 12])
def test_conversation_page_queries(
    dave, make_user, connect, size, django_assert_num_queries, settings
):
    conversation = fill(dave, make_user, connect, size)
    client = client_for(dave)
    client.get(f"/rete/messaggi/{conversation.pk}/")  # read once
    # Kept for dave under the conversation's version: user; the side; nav badges
    with django_assert_num_queries(3):
        kept = client.get(f"/rete/messaggi/{conversation.pk}/")
    assert kept.context is None
    settings.MEMBER_PAGE_SECONDS = 0  # rendered every time
    # user; the side (with the other's marks and receipts); nav badges; messages
    with django_assert_num_queries(4):
        response = client.get(f"/rete/messaggi/{conversation.pk}/")
    assert response.content.decode().count('data-testid="message"') == size + 1
    assert kept.content.decode().count('data-testid="message"') == size + 1


def test_the_kept_conversation_marks_read_and_shows_a_new_message_at_once(chat, dave, erin):
    client = client_for(erin)
    url = f"/rete/messaggi/{chat.pk}/"
    client.get(url)
    assert client.get(url).context is None  # kept
    message = chat.post(dave, "Domani alle 10?")
    assert "Domani alle 10?" in client.get(url).content.decode()
    side = Participant.objects.get(conversation=chat, user=erin)
    assert side.read_up_to == message.pk  # opening it read it, as before
    assert status_seen_by(dave, chat) == "read"


def test_a_kept_conversation_is_gone_at_once_after_a_block(chat, dave, erin):
    client = client_for(erin)
    url = f"/rete/messaggi/{chat.pk}/"
    client.get(url)
    assert client.get(url).context is None  # kept
    Block.block(dave, erin)
    assert client.get(url).status_code == 404


def test_inbox_rows_are_read_back_and_never_stale(dave, make_user, connect, settings):
    settings.MEMBER_PAGE_SECONDS = 0  # the rows' own cache, under the page's
    fill(dave, make_user, connect, 2)
    client = client_for(dave)
    first = client.get("/rete/messaggi/")
    second = client.get("/rete/messaggi/")
    rows = second.context["page"].object_list
    assert all(row.cached_fragment is not None for row in rows)
    assert all(row.cached_fragment is None for row in first.context["page"].object_list)
    side = rows[0]
    Participant.objects.filter(pk=side.pk).update(marked_unread=True)
    third = client.get("/rete/messaggi/")
    changed = next(row for row in third.context["page"].object_list if row.pk == side.pk)
    assert changed.cached_fragment is None  # a new key: rendered again
    assert third.content.decode().count('data-testid="talk-unread">•<') >= 1


def test_messages_are_read_back_each_as_its_reader_sees_it(dave, make_user, connect, settings):
    settings.MEMBER_PAGE_SECONDS = 0  # the messages' own cache, under the page's
    conversation = fill(dave, make_user, connect, 2)
    other = conversation.participants.exclude(user=dave).get().user
    url = f"/rete/messaggi/{conversation.pk}/"
    mine, theirs = client_for(dave), client_for(other)
    first = mine.get(url)
    second = mine.get(url)
    assert all(m.cached_fragment is None for m in first.context["messages_shown"])
    assert all(m.cached_fragment is not None for m in second.context["messages_shown"])
    # The other side reads the same messages with the opposite "mine": its own copies.
    page = theirs.get(url)
    assert all(m.cached_fragment is None for m in page.context["messages_shown"])
    assert page.content.decode().count('data-testid="delete-message"') == sum(
        m.sender_id == other.pk for m in page.context["messages_shown"]
    )
    # An edit shows at once.
    message = next(m for m in second.context["messages_shown"] if m.mine)
    Message.objects.filter(pk=message.pk).update(body="Testo corretto")
    third = mine.get(url)
    assert "Testo corretto" in third.content.decode()
    # Each form carries the reader's own CSRF token, not a placeholder.
    assert "gildacsrf0placeholder" not in third.content.decode()


def test_the_delivery_check_runs_again_when_a_message_arrives(
    chat, dave, erin, django_assert_num_queries
):
    client = client_for(erin)
    client.get("/rete/messaggi/")  # delivers (a new generation for erin)
    client.get("/rete/messaggi/")  # finds nothing to deliver, under that generation
    with django_assert_num_queries(0):
        Participant.deliver_to(erin)  # nothing can have arrived since
    message = chat.post(dave, "Ci vediamo alle 9?")

    Participant.deliver_to(erin)

    side = Participant.objects.get(conversation=chat, user=erin)
    assert side.delivered_up_to == message.pk


def test_with_redis_away_the_delivery_check_always_runs(chat, dave, erin, unreachable_redis):
    Participant.deliver_to(erin)
    message = chat.post(dave, "Ci vediamo alle 9?")

    Participant.deliver_to(erin)

    side = Participant.objects.get(conversation=chat, user=erin)
    assert side.delivered_up_to == message.pk
