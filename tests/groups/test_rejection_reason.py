"""Declining a join request without a reason (issue 19, item 15): the applicant gets the
neutral message, and the list's prompt never becomes a reason."""

import pytest
from django.urls import reverse
from django.utils import translation

from groups.forms import DecisionForm
from groups.models import JoinRequest, ModerationLog
from profiles.models import Notification

PROMPTS = ("scegli un motivo", "choose a reason")


def decide(client, group, join_request, **data):
    url = reverse("groups:decide", args=[group.slug, join_request.pk])
    return client.post(url, {"decision": "reject", **data})


def test_declining_without_a_reason_sends_the_neutral_message_not_the_placeholder(
    moderator_client, closed_group, carol
):
    join_request = closed_group.join_requests.get(user=carol)

    response = decide(moderator_client, closed_group, join_request, preset="", reason="")

    assert response.status_code == 302
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.REJECTED
    assert join_request.reason == ""
    log = ModerationLog.objects.get(group=closed_group, action="reject")
    assert log.reason == ""
    notification = Notification.objects.get(recipient=carol, kind="group-request-rejected")
    assert notification.params["reason"] == ""
    text = str(notification.text)
    assert "Copywriter Italia" in text
    assert not any(prompt in text.lower() for prompt in PROMPTS)


def test_a_chosen_preset_is_sent_as_the_reason(moderator_client, closed_group, carol):
    join_request = closed_group.join_requests.get(user=carol)

    decide(moderator_client, closed_group, join_request, preset="promotion")

    notification = Notification.objects.get(recipient=carol, kind="group-request-rejected")
    reason = notification.params["reason"]
    assert reason in (
        "The group is not a place for advertising.",
        "Il gruppo non è un luogo per fare pubblicità.",
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"preset": "", "reason": ""}, ""),
        ({"preset": "", "reason": "   "}, ""),
        (
            {"preset": "answer", "reason": ""},
            "The answer to the membership question was not enough.",
        ),
        ({"preset": "answer", "reason": "Scrivi meglio"}, "Scrivi meglio"),
    ],
)
def test_the_rejection_reason_is_written_or_preset_or_nothing(data, expected):
    form = DecisionForm({"decision": "reject", **data})

    assert form.is_valid()
    with translation.override("en"):
        assert form.rejection_reason() == expected
