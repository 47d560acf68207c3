"""Co-attendance in people you may know: members marked present at the same meetup are
suggested to each other, above shared groups, with "you were both at “…”"; marking,
checking in and unmarking refresh both lists through the outbox; a closed group's meetup is
never named to someone no longer inside it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from connections import suggestions
from connections.models import StaleSuggestions, Suggestion
from groups.models import Event, Rsvp
from profiles.models import OutboxTask

TITLE = "Aperitivo dei copywriter"


def make_meetup(group, organiser, *, starts_at=None, title=TITLE) -> Event:
    starts = starts_at or timezone.now() - timedelta(minutes=30)
    return Event.objects.create(
        group=group,
        organiser=organiser,
        title=title,
        format=Event.Format.ONLINE,
        online_url="https://meet.example.com/gilda",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )


def going(event, *users) -> None:
    for user in users:
        Rsvp.objects.create(event=event, user=user, answer=Rsvp.Answer.GOING)


def row(user, candidate) -> Suggestion | None:
    return Suggestion.objects.filter(user=user, candidate=candidate).first()


def listed(user) -> list[int]:
    return list(user.suggestions.order_by("rank").values_list("candidate_id", flat=True))


@pytest.fixture
def settled():
    """Recompute everyone and forget the marks of building the data."""

    def run() -> None:
        suggestions.recompute_all()
        StaleSuggestions.objects.all().delete()
        OutboxTask.objects.all().delete()

    return run


def test_marking_attendance_puts_the_meetup_in_both_lists_at_once(
    closed_group, alice, bob, moderator, settled, django_capture_on_commit_callbacks
):
    meetup = make_meetup(closed_group, alice)
    going(meetup, bob, moderator)
    settled()
    # Co-members of a small group, nothing else: the older account first.
    assert listed(bob)[:2] == [alice.pk, moderator.pk]
    assert row(bob, moderator).shared_events == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert meetup.mark_attended([bob.pk, moderator.pk]) == 2

    assert not StaleSuggestions.objects.exists()
    for viewer, other in ((bob, moderator), (moderator, bob)):
        stored = row(viewer, other)
        assert (stored.shared_events, stored.latest_shared_event_pk) == (1, meetup.pk)
        assert stored.rank == 1  # the meetup outranks alice's equal shared group
    assert listed(bob)[:2] == [moderator.pk, alice.pk]

    # Marking the same members again changes nothing and marks no list.
    assert meetup.mark_attended([bob.pk, moderator.pk]) == 0
    assert not StaleSuggestions.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert meetup.mark_attended([moderator.pk], present=False) == 1
    assert not StaleSuggestions.objects.exists()
    assert (row(bob, moderator).shared_events, row(bob, moderator).latest_shared_event_pk) == (0, 0)
    assert listed(bob)[:2] == [alice.pk, moderator.pk]


def test_checking_in_with_the_code_refreshes_both_lists(
    closed_group, alice, bob, moderator, settled, django_capture_on_commit_callbacks
):
    meetup = make_meetup(closed_group, alice)
    going(meetup, bob, moderator)
    meetup.mark_attended([moderator.pk])
    settled()
    with django_capture_on_commit_callbacks(execute=True):
        assert meetup.check_in(bob, meetup.checkin_code)
    assert row(bob, moderator).shared_events == 1
    assert row(moderator, bob).latest_shared_event_pk == meetup.pk


def test_the_organisers_attendance_form_unmarks_through_the_same_path(
    closed_group, alice, alice_client, bob, moderator, settled, django_capture_on_commit_callbacks
):
    meetup = make_meetup(closed_group, alice)
    going(meetup, bob, moderator)
    meetup.mark_attended([bob.pk, moderator.pk])
    settled()
    assert row(bob, moderator).shared_events == 1
    url = reverse("groups:event_attendance", args=[closed_group.slug, meetup.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url, {"present": [bob.pk]})
    assert response.status_code == 302
    assert Rsvp.objects.get(event=meetup, user=moderator).attended_at is None
    assert Rsvp.objects.get(event=meetup, user=bob).attended_at is not None
    assert not StaleSuggestions.objects.exists()
    assert row(bob, moderator).shared_events == 0
    assert row(moderator, bob).shared_events == 0


def test_deleting_a_meetup_refreshes_its_attendees(
    closed_group, alice, bob, moderator, settled, django_capture_on_commit_callbacks
):
    meetup = make_meetup(closed_group, alice)
    going(meetup, bob, moderator)
    meetup.mark_attended([bob.pk, moderator.pk])
    settled()
    with django_capture_on_commit_callbacks(execute=True):
        meetup.delete()
    assert row(bob, moderator).shared_events == 0


def test_the_most_recent_shared_meetup_is_the_one_named(
    closed_group, alice, bob, moderator, settled
):
    earlier = make_meetup(
        closed_group, alice, title="Prima", starts_at=timezone.now() - timedelta(days=9)
    )
    later = make_meetup(
        closed_group, alice, title="Dopo", starts_at=timezone.now() - timedelta(days=2)
    )
    for meetup in (later, earlier):
        going(meetup, bob, moderator)
        meetup.mark_attended([bob.pk, moderator.pk])
    settled()
    stored = row(bob, moderator)
    assert (stored.shared_events, stored.latest_shared_event_pk) == (2, later.pk)


def test_moving_a_meetups_start_refreshes_which_is_the_latest(
    closed_group, alice, bob, moderator, settled, django_capture_on_commit_callbacks
):
    earlier = make_meetup(closed_group, alice, starts_at=timezone.now() - timedelta(days=9))
    later = make_meetup(closed_group, alice, starts_at=timezone.now() - timedelta(days=2))
    for meetup in (later, earlier):
        going(meetup, bob, moderator)
        meetup.mark_attended([bob.pk, moderator.pk])
    settled()
    earlier.title = "Solo il titolo"
    earlier.save()
    assert not StaleSuggestions.objects.exists()  # the title is read when shown
    earlier.starts_at = timezone.now() - timedelta(days=1)
    earlier.ends_at = earlier.starts_at + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        earlier.save()
    assert row(bob, moderator).latest_shared_event_pk == earlier.pk


@pytest.fixture
def met_and_left(closed_group, alice, bob, erin, settled, django_capture_on_commit_callbacks):
    """bob and erin were both at a meetup of the closed group; erin has left the group
    since. Nothing else links them: no connection, no shared group."""
    closed_group.add_member(erin)
    meetup = make_meetup(closed_group, alice)
    going(meetup, bob, erin)
    meetup.mark_attended([bob.pk, erin.pk])
    settled()
    with django_capture_on_commit_callbacks(execute=True):
        closed_group.leave(erin)
    assert not StaleSuggestions.objects.exists()
    return meetup


def test_a_shared_meetup_alone_makes_a_suggestion(met_and_left, bob, erin):
    for viewer, other in ((bob, erin), (erin, bob)):
        stored = row(viewer, other)
        assert stored is not None
        assert (stored.mutual_count, stored.shared_groups, stored.shared_events) == (0, 0, 1)
        assert stored.latest_shared_event_pk == met_and_left.pk


def test_the_card_names_the_meetup_to_a_member_who_can_read_its_group(
    met_and_left, bob_client, erin
):
    html = bob_client.get("/rete/").content.decode()
    assert f"Eravate presenti a “{TITLE}”" in html
    fragment = bob_client.get("/rete/?part=suggestions", HTTP_HX_REQUEST="true")
    assert f"Eravate presenti a “{TITLE}”" in fragment.content.decode()
    assert "<html" not in fragment.content.decode()


def test_the_card_says_you_were_both_at_in_english(met_and_left, bob_client):
    bob_client.cookies["django_language"] = "en"
    html = bob_client.get("/rete/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"You were both at “{TITLE}”" in html


def test_a_closed_groups_meetup_is_not_named_to_someone_who_left_it(met_and_left, erin_client, bob):
    html = erin_client.get("/rete/").content.decode()
    assert "Eravate presenti a 1 incontro" in html
    assert TITLE not in html
    assert bob.display_name in html


def test_an_open_groups_meetup_is_named_to_someone_who_left_it(
    open_group, alice, bob, erin, erin_client, settled, django_capture_on_commit_callbacks
):
    open_group.add_member(bob)
    open_group.add_member(erin)
    meetup = make_meetup(open_group, alice, title="Caffè dei social media manager")
    going(meetup, bob, erin)
    meetup.mark_attended([bob.pk, erin.pk])
    with django_capture_on_commit_callbacks(execute=True):
        open_group.leave(erin)
    settled()
    html = erin_client.get("/rete/").content.decode()
    assert "Eravate presenti a “Caffè dei social media manager”" in html
