"""Reporting private messages to staff: a message or a whole conversation, with the reported
messages copied into the report. Staff read those and nothing else of the conversation."""

import pytest
from django.urls import reverse

from connections.conversations import REPORTED_MESSAGES
from connections.models import Conversation, Message
from groups.models.reports import CONVERSATION, MESSAGE
from profiles.models import Notification, Report
from tests.connections.test_talk_access import client_for


@pytest.fixture
def talk(dave, erin, connect, django_capture_on_commit_callbacks):
    """Dave and Erin, connected: Dave writes twice, Erin once."""
    connect(dave, erin)
    with django_capture_on_commit_callbacks(execute=True):
        conversation, _first = Conversation.start(dave, erin, "Ciao Erica, una domanda")
        conversation.post(erin, "Dimmi pure")
        conversation.post(dave, "Compra il mio corso su truffa.example, solo oggi!")
    return conversation


def report_message_url(message) -> str:
    return reverse("connections:report_message", args=[message.conversation_id, message.pk])


def report_conversation_url(conversation) -> str:
    return reverse("connections:report_conversation", args=[conversation.pk])


def test_erin_reports_one_message_and_staff_get_it_attached(
    talk, dave, erin, staff, django_capture_on_commit_callbacks
):
    spam = talk.messages.get(body__startswith="Compra")
    page = client_for(erin).get(talk.get_absolute_url()).content.decode()
    assert report_message_url(spam) in page
    assert report_conversation_url(talk) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(erin).post(report_message_url(spam), {"reason": "spam"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.target_type, report.target_id, report.target_owner, report.scope) == (
        MESSAGE,
        spam.pk,
        dave,
        "",
    )
    assert [m["body"] for m in report.evidence] == [spam.body]
    assert list(Notification.objects.filter(kind="report").values_list("recipient", flat=True)) == [
        staff.pk
    ]


def test_a_reported_conversation_carries_its_latest_messages(talk, dave, erin):
    client_for(erin).post(report_conversation_url(talk), {"reason": "abuse"})
    report = Report.objects.get(target_type=CONVERSATION)
    assert report.target_owner == dave
    assert [m["body"] for m in report.evidence] == [
        "Ciao Erica, una domanda",
        "Dimmi pure",
        "Compra il mio corso su truffa.example, solo oggi!",
    ]


def test_a_long_conversation_attaches_only_the_latest_messages(talk, dave, erin):
    for n in range(REPORTED_MESSAGES + 5):
        talk.post(dave, f"Messaggio {n}")
    client_for(erin).post(report_conversation_url(talk), {"reason": "spam"})
    evidence = Report.objects.get().evidence
    assert len(evidence) == REPORTED_MESSAGES
    assert evidence[-1]["body"] == f"Messaggio {REPORTED_MESSAGES + 4}"


def test_staff_review_the_attached_messages_not_the_conversation(
    talk, dave, erin, staff, django_capture_on_commit_callbacks
):
    spam = talk.messages.get(body__startswith="Compra")
    client_for(erin).post(report_message_url(spam), {"reason": "spam", "note": "Truffa"})
    staff_client = client_for(staff)
    queue = staff_client.get(reverse("groups:review")).content.decode()
    assert "Compra il mio corso" in queue
    assert "Truffa" in queue
    assert "Dimmi pure" not in queue  # the rest of the conversation stays private
    assert staff_client.get(talk.get_absolute_url()).status_code == 404
    response = staff_client.post(
        reverse("groups:review_decide", args=["messaggio", spam.pk]), {"decision": "suspend"}
    )
    assert response.status_code == 302
    dave.refresh_from_db()
    assert dave.is_suspended
    assert Report.objects.get().decision == Report.Decision.SUSPENDED


def test_only_staff_review_message_reports(talk, erin, dave, moderator, closed_group):
    spam = talk.messages.get(body__startswith="Compra")
    client_for(erin).post(report_message_url(spam), {"reason": "spam"})
    decide = reverse("groups:review_decide", args=["messaggio", spam.pk])
    for user in (moderator, erin, dave):
        assert client_for(user).post(decide, {"decision": "keep"}).status_code == 404
        assert (
            "Compra il mio corso"
            not in client_for(user).get(reverse("groups:review")).content.decode()
        )
    assert Report.objects.open().count() == 1


def test_nobody_reports_their_own_or_a_deleted_message(talk, dave, erin):
    own = talk.messages.get(body="Dimmi pure")
    assert client_for(erin).get(report_message_url(own)).status_code == 403
    spam = talk.messages.get(body__startswith="Compra")
    spam.delete_for_both(dave)
    response = client_for(erin).post(report_message_url(spam), {"reason": "spam"})
    assert response.status_code == 302
    assert not Report.objects.exists()


@pytest.mark.parametrize("who", ["carol", "staff", "moderator"])
def test_outsiders_cannot_report_a_conversation_they_are_not_in(talk, who, request):
    outsider = client_for(request.getfixturevalue(who))
    spam = talk.messages.get(body__startswith="Compra")
    assert outsider.post(report_message_url(spam), {"reason": "spam"}).status_code == 404
    assert outsider.post(report_conversation_url(talk), {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()


def test_a_bad_report_keeps_what_was_typed(talk, erin):
    spam = talk.messages.get(body__startswith="Compra")
    response = client_for(erin).post(report_message_url(spam), {"reason": "other", "note": ""})
    assert response.status_code == 400
    response = client_for(erin).post(
        report_message_url(spam), {"reason": "bogus", "note": "Nota da tenere"}
    )
    assert response.status_code == 400
    assert "Nota da tenere" in response.content.decode()
    assert not Report.objects.exists()
    assert Message.objects.filter(pk=spam.pk, deleted_at=None).exists()
