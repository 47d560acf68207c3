"""The unread-conversation email follows the member's "messages" email preference:
immediately one email (with the RFC 8058 headers), daily or weekly a line in the digest (a
notification of that kind), off nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from connections.models import Conversation, Participant
from profiles.models import EmailKind, EmailPreference, Notification, OutgoingEmail

pytestmark = pytest.mark.django_db


def unread_side(dave, erin, connect):
    connect(dave, erin)
    conversation, _message = Conversation.start(dave, erin, "Ciao Erica")
    side = Participant.objects.get(conversation=conversation, user=erin)
    Participant.objects.filter(pk=side.pk).update(unread_since=timezone.now() - timedelta(hours=1))
    side.refresh_from_db()
    return side


@pytest.mark.parametrize(
    ("frequency", "emails", "digest_lines"),
    [("immediately", 1, 0), ("daily", 0, 1), ("weekly", 0, 1), ("off", 0, 0)],
)
def test_the_messages_preference_decides(dave, erin, connect, frequency, emails, digest_lines):
    EmailPreference.choose(erin, EmailKind.MESSAGES, frequency)
    OutgoingEmail.objects.all().delete()
    side = unread_side(dave, erin, connect)

    side.email_if_still_unread()
    side.email_if_still_unread()  # once per unread stretch, whatever runs again

    sent = OutgoingEmail.objects.filter(to=erin.email)
    assert sent.count() == emails
    if emails:
        assert "List-Unsubscribe-Post" in sent.get().headers
    lines = Notification.objects.filter(recipient=erin, kind="conversation-unread")
    assert lines.count() == digest_lines
    if digest_lines:
        assert lines.get().email_kind == EmailKind.MESSAGES
