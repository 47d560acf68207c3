"""Event reports: members report a meetup to the group's moderators, who keep it, cancel it
(attendees are told) or cancel it and ban the organiser; every decision is in the log."""

import pytest
from django.urls import reverse

from groups.models import Ban, ModerationLog, Rsvp
from groups.models.reports import EVENT
from profiles.models import Notification, Report
from tests.events.conftest import make_event


def report_url(event) -> str:
    return reverse("groups:report_event", args=[event.group.slug, event.pk])


def decide_url(event) -> str:
    return reverse("groups:review_decide", args=["evento", event.pk])


@pytest.fixture
def reported(meetup, bob, bob_client, django_capture_on_commit_callbacks):
    """Bob goes to alice's meetup, then reports it as self-promotion."""
    meetup.rsvp(bob, Rsvp.Answer.GOING)
    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(
            report_url(meetup), {"reason": "promotion", "note": "È una vendita di corsi"}
        )
    assert response.status_code == 302
    return meetup


def test_a_member_reports_an_event_and_the_moderators_are_told(reported, alice, moderator):
    report = Report.objects.get(target_type=EVENT, target_id=reported.pk)
    assert (report.reason, report.target_owner, report.scope) == (
        "promotion",
        alice,
        reported.group.notification_scope,
    )
    told = Notification.objects.filter(kind="report").values_list("recipient", flat=True)
    assert list(told) == [moderator.pk]  # the organiser is never told of reports on their event


def test_the_event_page_links_to_the_report_form_for_members_only(
    meetup, bob_client, alice_client, dave_client, moderator_client
):
    page = reverse("groups:event", args=[meetup.group.slug, meetup.pk])
    assert 'data-testid="event-report"' in bob_client.get(page).content.decode()
    assert 'data-testid="event-report"' not in alice_client.get(page).content.decode()
    assert dave_client.get(page).status_code == 404  # a closed group's event, to an outsider


@pytest.mark.parametrize(
    ("who", "status"),
    [("alice", 403), ("dave", 404), ("carol", 404), ("anonymous", 302)],
)
def test_who_may_not_report_an_event(meetup, who, status, logged_in, client, request):
    reporter = client if who == "anonymous" else logged_in(request.getfixturevalue(who))
    for method in (reporter.get, reporter.post):
        assert method(report_url(meetup), {"reason": "spam"}).status_code == status
    assert not Report.objects.exists()


def test_a_bad_report_gets_a_clear_error_and_keeps_the_note(meetup, bob_client):
    response = bob_client.post(report_url(meetup), {"reason": "other", "note": ""})
    assert response.status_code == 400
    response = bob_client.post(report_url(meetup), {"reason": "nonsense", "note": "Resta qui"})
    assert response.status_code == 400
    assert "Resta qui" in response.content.decode()
    assert not Report.objects.exists()


def test_the_review_queue_shows_the_event_to_its_moderators(reported, moderator_client):
    page = moderator_client.get(reverse("groups:review")).content.decode()
    assert f'id="review-evento-{reported.pk}"' in page
    assert reported.title in page
    assert "È una vendita di corsi" in page
    assert 'value="remove"' in page


def test_cancelling_a_reported_event_tells_the_attendees_and_logs_it(
    reported, bob, moderator, moderator_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(decide_url(reported), {"decision": "remove"})
    assert response.status_code == 302
    reported.refresh_from_db()
    assert reported.status == reported.Status.CANCELLED
    assert Notification.objects.filter(recipient=bob, kind="event-cancelled").exists()
    assert ModerationLog.objects.filter(
        group=reported.group, actor=moderator, action=ModerationLog.Action.EVENT_CANCEL
    ).exists()
    assert Report.objects.get(target_id=reported.pk).decision == Report.Decision.REMOVED


def test_cancel_and_ban_removes_the_organiser(
    closed_group, bob, make_user, logged_in, moderator_client
):
    event = make_event(closed_group, bob, title="Corso a pagamento, iscrivetevi")
    reporter = make_user("reporter@example.com", "Rita Segnalatrice")
    closed_group.add_member(reporter)
    logged_in(reporter).post(report_url(event), {"reason": "promotion"})
    response = moderator_client.post(decide_url(event), {"decision": "ban"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    event.refresh_from_db()
    assert event.status == event.Status.CANCELLED
    assert Ban.objects.filter(group=closed_group, user=bob).exists()
    assert not closed_group.memberships.filter(user=bob).exists()


def test_a_refused_ban_cancels_nothing(reported, alice, moderator_client):
    """alice owns the group: a moderator cannot ban her, so nothing of the decision happens."""
    response = moderator_client.post(
        decide_url(reported), {"decision": "ban"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "You cannot ban this member" in response.content.decode() or (
        "Non puoi" in response.content.decode()
    )
    reported.refresh_from_db()
    assert reported.is_active
    assert Report.objects.open().count() == 1


def test_keep_closes_the_reports_and_leaves_the_event(reported, moderator_client):
    response = moderator_client.post(
        decide_url(reported), {"decision": "keep"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'data-testid="decided"' in response.content.decode()
    reported.refresh_from_db()
    assert reported.is_active
    assert not Report.objects.open().exists()
    assert ModerationLog.objects.filter(action=ModerationLog.Action.KEEP).exists()


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("dave", 404), ("alice", 302)])
def test_only_the_groups_moderators_decide_and_never_on_themselves(
    reported, who, status, logged_in, request
):
    """alice owns the group but organised the event: reports about her are for the others."""
    reviewer = logged_in(request.getfixturevalue(who))
    response = reviewer.post(decide_url(reported), {"decision": "remove"})
    assert response.status_code == status
    reported.refresh_from_db()
    assert reported.is_active
    assert Report.objects.open().count() == 1
