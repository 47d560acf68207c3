"""Conversations: who may read and write, for every view and fragment (the permission matrix:
connected, sharing a group, stranger, blocked either way, suspended, staff, anonymous)."""

import pytest
from django.test import Client

from connections.conversations import may_write
from connections.models import Block, Conversation, Message, Participant

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def suspend(staff):
    """suspend(user): a real suspension, by staff (profiles: User.suspend)."""
    return lambda user: user.suspend(by=staff, reason="Spam nei messaggi")


@pytest.fixture
def talk(dave, erin, connect, django_capture_on_commit_callbacks):
    """Dave and Erin, connected, with one message from Dave."""
    connect(dave, erin)
    with django_capture_on_commit_callbacks(execute=True):
        conversation, _message = Conversation.start(dave, erin, "Ciao Erica, come va?")
    return conversation


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="profiles.backends.ModelBackend")
    return client


def urls_of(conversation: Conversation) -> dict[str, str]:
    message = conversation.messages.get()
    base = f"/rete/messaggi/{conversation.pk}/"
    return {
        "page": base,
        "live": base + f"?part=live&v={conversation.version}",
        "edit": base + f"m/{message.pk}/modifica/",
    }


# Reading --------------------------------------------------------------------------------------


def test_both_members_read_the_conversation(talk, dave, erin):
    for user in (dave, erin):
        response = client_for(user).get(f"/rete/messaggi/{talk.pk}/")
        assert response.status_code == 200
        assert "Ciao Erica, come va?" in response.content.decode()


@pytest.mark.parametrize("who", ["stranger", "staff", "group_member"])
def test_nobody_else_reads_a_conversation_staff_included(
    talk, who, carol, staff, closed_group, bob
):
    reader = {"stranger": carol, "staff": staff, "group_member": bob}[who]
    client = client_for(reader)
    for url in urls_of(talk).values():
        assert client.get(url).status_code == 404, url
        assert client.get(url, **HTMX).status_code == 404, url
    assert client.post(f"/rete/messaggi/{talk.pk}/", {"body": "intrusione"}).status_code == 404
    action = f"/rete/messaggi/{talk.pk}/azione/"
    assert client.post(action, {"action": "archive"}).status_code == 404
    assert Message.objects.count() == 1


def test_anonymous_is_sent_to_login_everywhere(talk):
    client = Client()
    for url in [*urls_of(talk).values(), "/rete/messaggi/", "/rete/messaggi/badge/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(f"/rete/messaggi/{talk.pk}/", {"body": "anonimo"})
    assert response.status_code == 302
    assert Message.objects.count() == 1


@pytest.mark.parametrize("blocker", ["dave", "erin"])
def test_a_block_either_way_hides_the_conversation_from_both(talk, dave, erin, blocker):
    a, b = (dave, erin) if blocker == "dave" else (erin, dave)
    Block.block(a, b)
    for user in (dave, erin):
        client = client_for(user)
        assert client.get(f"/rete/messaggi/{talk.pk}/").status_code == 404
        assert client.post(f"/rete/messaggi/{talk.pk}/", {"body": "ancora"}).status_code == 404
        inbox = client.get("/rete/messaggi/").content.decode()
        assert 'data-testid="talk-row"' not in inbox
        assert (
            client.get(f"/rete/messaggi/scrivi/{(erin if user == dave else dave).pk}/").status_code
            == 404
        )
    assert Message.objects.count() == 1
    assert Participant.objects.badge_for(erin).count() == 0


def test_wrong_methods_are_refused(talk, dave):
    client = client_for(dave)
    assert client.get(f"/rete/messaggi/{talk.pk}/azione/").status_code == 405
    assert client.put(f"/rete/messaggi/{talk.pk}/").status_code == 405
    assert client.post("/rete/messaggi/").status_code == 405
    assert client.post("/rete/messaggi/badge/").status_code == 405
    message = talk.messages.get()
    assert client.get(f"/rete/messaggi/{talk.pk}/m/{message.pk}/elimina/").status_code == 405


def test_a_twenty_digit_id_is_a_404(dave):
    client = client_for(dave)
    assert client.get("/rete/messaggi/99999999999999999999/").status_code == 404
    assert client.get("/rete/messaggi/scrivi/99999999999999999999/").status_code == 404


# Writing ---------------------------------------------------------------------------------------


def test_connected_members_write_freely_and_it_shows_for_both(talk, dave, erin):
    response = client_for(erin).post(f"/rete/messaggi/{talk.pk}/", {"body": "Bene, grazie!"})
    assert response.status_code == 302
    response = client_for(dave).post(f"/rete/messaggi/{talk.pk}/", {"body": "Ottimo."})
    assert response.status_code == 302
    assert list(talk.messages.order_by("pk").values_list("body", flat=True)) == [
        "Ciao Erica, come va?",
        "Bene, grazie!",
        "Ottimo.",
    ]


def test_htmx_post_returns_the_thread_fragment(talk, erin):
    response = client_for(erin).post(f"/rete/messaggi/{talk.pk}/", {"body": "Via htmx"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="talk-thread"' in html and "Via htmx" in html


def test_starting_with_a_connection_makes_an_active_conversation(dave, erin, connect):
    connect(dave, erin)
    response = client_for(dave).post(f"/rete/messaggi/scrivi/{erin.pk}/", {"body": "Ciao!"})
    conversation = Conversation.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/rete/messaggi/{conversation.pk}/"
    )
    assert conversation.state == Conversation.State.ACTIVE
    assert (conversation.user_low_id, conversation.user_high_id) == tuple(
        sorted([dave.pk, erin.pk])
    )


def test_a_stranger_cannot_start_a_conversation(dave, carol):
    client = client_for(carol)
    page = client.get(f"/rete/messaggi/scrivi/{dave.pk}/")
    assert page.status_code == 200 and 'data-testid="talk-refused"' in page.content.decode()
    response = client.post(f"/rete/messaggi/scrivi/{dave.pk}/", {"body": "Ciao"})
    assert response.status_code == 400
    assert 'data-testid="talk-refused"' in response.content.decode()
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_a_suspended_member_is_logged_out_and_writes_nothing(talk, dave, erin, suspend):
    client = client_for(erin)
    assert client.get(f"/rete/messaggi/{talk.pk}/").status_code == 200
    suspend(erin)
    # The next request ends the session and explains; after it, the member is logged out.
    refused = client.post(f"/rete/messaggi/{talk.pk}/", {"body": "sospesa"})
    assert (refused.status_code, refused.url) == (302, "/sospensione/")
    for response in (
        client.post(f"/rete/messaggi/scrivi/{dave.pk}/", {"body": "sospesa"}),
        client.get(f"/rete/messaggi/{talk.pk}/"),
    ):
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert Message.objects.count() == 1
    erin.refresh_from_db()
    assert not may_write(erin)


def test_suspended_sender_cannot_edit_their_message(talk, dave, suspend):
    suspend(dave)
    url = urls_of(talk)["edit"]
    assert client_for(dave).post(url, {"body": "modificato"}).status_code == 302
    assert talk.messages.get().body == "Ciao Erica, come va?"


def test_empty_and_overlong_messages_are_refused_and_keep_the_draft(talk, erin):
    client = client_for(erin)
    assert client.post(f"/rete/messaggi/{talk.pk}/", {"body": "   "}).status_code == 400
    long = "x" * 2001
    response = client.post(f"/rete/messaggi/{talk.pk}/", {"body": long})
    assert response.status_code == 400
    assert long in response.content.decode()  # the draft is not lost
    assert Message.objects.count() == 1


def test_text_is_escaped_and_links_made_clickable(talk, erin):
    client = client_for(erin)
    client.post(
        f"/rete/messaggi/{talk.pk}/",
        {"body": '<script>alert(1)</script> vedi https://example.com/a?b=1 <b onclick="x">'},
    )
    html = client.get(f"/rete/messaggi/{talk.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<b onclick="x">' not in html
    assert '<a href="https://example.com/a?b=1" rel="nofollow">' in html


# Editing and deleting ------------------------------------------------------------------------


def test_sender_edits_within_ten_minutes_only(talk, dave, erin):
    from datetime import timedelta

    from django.utils import timezone

    message = talk.messages.get()
    url = urls_of(talk)["edit"]
    assert client_for(erin).post(url, {"body": "non mio"}).status_code == 403
    assert client_for(dave).post(url, {"body": "Ciao Erica!"}).status_code == 302
    message.refresh_from_db()
    assert message.body == "Ciao Erica!" and message.edited_at is not None
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    assert client_for(dave).post(url, {"body": "troppo tardi"}).status_code == 403
    message.refresh_from_db()
    assert message.body == "Ciao Erica!"


def test_delete_for_both_leaves_message_deleted(talk, dave, erin):
    message = talk.messages.get()
    url = f"/rete/messaggi/{talk.pk}/m/{message.pk}/elimina/"
    assert client_for(erin).post(url).status_code == 403
    assert client_for(dave).post(url).status_code == 302
    message.refresh_from_db()
    assert message.body == "" and message.deleted_at is not None
    html = client_for(erin).get(f"/rete/messaggi/{talk.pk}/").content.decode()
    assert "Ciao Erica" not in html and 'data-testid="message-deleted"' in html


def test_deleting_an_account_deletes_its_messages_text(talk, dave, erin):
    client_for(erin).post(f"/rete/messaggi/{talk.pk}/", {"body": "Risposta di Erica"})
    dave.delete()
    assert not Message.objects.filter(body__contains="Ciao Erica").exists()
    html = client_for(erin).get(f"/rete/messaggi/{talk.pk}/").content.decode()
    assert "Risposta di Erica" in html
    assert 'data-testid="message-deleted"' in html
    assert 'data-testid="composer"' not in html


# Inbox actions --------------------------------------------------------------------------------


def test_archive_mute_and_mark_unread(talk, dave, erin):
    client = client_for(erin)
    side = Participant.objects.get(user=erin)
    client.get(f"/rete/messaggi/{talk.pk}/")  # reads it
    assert Participant.objects.badge_for(erin).count() == 0
    client.post(f"/rete/messaggi/{talk.pk}/azione/", {"action": "unread"})
    assert Participant.objects.badge_for(erin).count() == 1
    client.post(f"/rete/messaggi/{talk.pk}/azione/", {"action": "mute"})
    assert Participant.objects.badge_for(erin).count() == 0
    client.post(f"/rete/messaggi/{talk.pk}/azione/", {"action": "archive"})
    side.refresh_from_db()
    assert side.archived and side.muted and side.marked_unread
    assert 'data-testid="talk-row"' not in client.get("/rete/messaggi/").content.decode()
    assert 'data-testid="talk-row"' in client.get("/rete/messaggi/?archivio=1").content.decode()
    # A new message brings an archived conversation back.
    client_for(dave).post(f"/rete/messaggi/{talk.pk}/", {"body": "Ci sei?"})
    side.refresh_from_db()
    assert not side.archived
    assert client.post(f"/rete/messaggi/{talk.pk}/azione/", {"action": "boh"}).status_code == 400


def test_inbox_orders_by_last_activity_with_unread_counts(dave, erin, bob, connect):
    connect(dave, erin)
    connect(dave, bob)
    first, _m = Conversation.start(erin, dave, "Uno")
    Conversation.start(erin, dave, "Due")
    Conversation.start(bob, dave, "Tre")
    html = client_for(dave).get("/rete/messaggi/").content.decode()
    assert html.index("Roberto Bianchi") < html.index("Erica Marino")
    assert 'data-unread="2"' in html and 'data-unread="1"' in html


def test_search_finds_only_my_own_messages(talk, dave, erin, bob, carol, connect):
    connect(bob, carol)
    Conversation.start(bob, carol, "Parliamo del preventivo segreto")
    Conversation.start(erin, dave, "Ti mando il preventivo domani")
    html = client_for(dave).get("/rete/messaggi/?q=preventivo").content.decode()
    assert "Ti mando il preventivo domani" in html
    assert "segreto" not in html
    html = client_for(bob).get("/rete/messaggi/?q=preventivo").content.decode()
    assert "segreto" in html and "domani" not in html
