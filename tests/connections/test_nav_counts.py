"""The navigation badges: one query for both counts, equal to the querysets they stand for."""

import pytest
from django.utils import timezone

from connections.context_processors import NavCounts
from connections.models import ConnectionRequest
from profiles.models import Notification


def notify(user, n: int, *, read: bool = False) -> None:
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind="test",
            message_id="Hello",
            read_at=timezone.now() if read else None,
        )
        for _ in range(n)
    )


@pytest.mark.django_db
def test_badges_count_unread_notifications_and_pending_incoming_requests_in_one_query(
    alice, bob, carol, dave, moderator, django_assert_num_queries
):
    notify(dave, 3)
    notify(dave, 2, read=True)
    notify(bob, 4)  # someone else's
    ConnectionRequest.objects.create(sender=alice, recipient=dave, message="Ciao")
    ConnectionRequest.objects.create(sender=bob, recipient=dave, message="Ciao")
    ConnectionRequest.objects.create(
        sender=carol, recipient=dave, message="Ciao", status=ConnectionRequest.Status.IGNORED
    )
    ConnectionRequest.objects.create(sender=dave, recipient=moderator, message="Ciao")  # outgoing

    with django_assert_num_queries(1):
        counts = NavCounts(dave).counts
    assert counts == {"unread": 3, "incoming": 2, "conversations": 0}
    # The same facts through the querysets the badges stand for.
    assert dave.notifications.unread().count() == 3
    assert ConnectionRequest.objects.incoming(dave).count() == 2


@pytest.mark.django_db
def test_badges_show_on_a_page(dave, dave_client, bob):
    notify(dave, 2)
    ConnectionRequest.objects.create(sender=bob, recipient=dave, message="Ciao")
    body = dave_client.get("/gruppi/").content.decode()
    assert 'data-testid="unread-count">2<' in body
    assert 'data-testid="incoming-count"' in body


@pytest.mark.django_db
def test_a_page_without_anything_unread_shows_no_badge(dave_client):
    body = dave_client.get("/gruppi/").content.decode()
    assert 'data-testid="unread-count"' not in body
    assert 'data-testid="incoming-count"' not in body


@pytest.mark.django_db
def test_the_badges_compiled_once_count_what_the_querysets_count(alice, bob, carol, dave):
    """NavCounts runs SQL compiled once for a sentinel id: for every member it must give what
    the ORM's query gives when built for that member."""
    from connections.context_processors import badge_counts_query

    notify(alice, 2)
    notify(bob, 5)
    ConnectionRequest.objects.create(sender=carol, recipient=bob, message="Ciao")
    ConnectionRequest.objects.create(sender=dave, recipient=alice, message="Ciao")
    ConnectionRequest.objects.create(sender=alice, recipient=carol, message="Ciao")
    for user in (alice, bob, carol, dave):
        expected = badge_counts_query(user.pk).get()
        assert NavCounts(user).counts == expected
    assert NavCounts(bob).counts == {"unread": 5, "incoming": 1, "conversations": 0}
