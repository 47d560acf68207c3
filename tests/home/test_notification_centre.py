"""The notification centre: days, read one/all, filters, items that resolve themselves,
hidden content, and the polled badge (one query, conditional GET)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from connections.models import ConnectionRequest
from groups.models import Post
from profiles.models import Notification

pytestmark = pytest.mark.usefixtures("within_one_minute")  # kept pages: tests/conftest.py

LIST = "/notifiche/"
BADGE = "/notifiche/contatore/"
MESSAGE = gettext_noop("%(user)s would like to connect with you.")


def notify(user, **kwargs):
    kwargs.setdefault("email", False)
    return Notification.send(user, "test", MESSAGE, {"user": "Zeno"}, **kwargs)


def test_grouped_by_day(bob_client, bob):
    notify(bob)
    old = notify(bob)
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    text = bob_client.get(LIST).content.decode()
    assert text.count('data-testid="notification-day"') == 2


def test_mark_one_read_plain_and_htmx(bob_client, bob):
    first, second = notify(bob), notify(bob)
    response = bob_client.post(reverse("notification_read", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    response = bob_client.post(
        reverse("notification_read", args=[second.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert response["HX-Trigger"] == "notifications-changed"
    second.refresh_from_db()
    assert second.read_at is not None


def test_mark_read_is_post_only_and_mine_only(bob_client, dave_client, bob):
    notification = notify(bob)
    assert bob_client.get(reverse("notification_read", args=[notification.pk])).status_code == 405
    assert dave_client.post(reverse("notification_read", args=[notification.pk])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read(bob_client, bob, dave):
    notify(bob), notify(bob)
    others = notify(dave)
    bob_client.post(reverse("notification_read_all"))
    assert not bob.notifications.unread().exists()
    others.refresh_from_db()
    assert others.read_at is None


def test_filters_unread_and_mentions(bob_client, bob):
    read = notify(bob)
    read.read_at = timezone.now()
    read.save()
    Notification.send(
        bob, "mention", MESSAGE, {"user": "Menzionata"}, email=False, mentions_me=True
    )
    unread = bob_client.get(LIST, {"filtro": "non-lette"}).content.decode()
    assert unread.count('data-testid="notification"') == 1
    mentions = bob_client.get(LIST, {"filtro": "menzioni"}).content.decode()
    assert mentions.count('data-testid="notification"') == 1 and "Menzionata" in mentions
    # An unknown filter is "all", never an error.
    everything = bob_client.get(LIST, {"filtro": "<script>"})
    assert everything.status_code == 200
    assert everything.content.decode().count('data-testid="notification"') == 2


def test_a_decided_join_request_resolves_for_every_moderator(
    closed_group, carol, alice, moderator, django_capture_on_commit_callbacks
):
    request = closed_group.pending_request_of(carol)
    request.notify_moderators()
    told = Notification.objects.filter(kind="group-join-request", params__request_id=request.pk)
    assert told.count() == 2  # alice (owner) and the moderator
    request.approve(by=moderator)
    assert all(n.resolved_at and n.read_at for n in told)


def test_a_decided_connection_request_resolves(bob, dave, bob_client):
    sent = ConnectionRequest.send(dave, bob, "Ciao")
    notification = bob.notifications.get(kind="connection-request")
    assert notification.mentions_me
    sent.decline()
    notification.refresh_from_db()
    assert notification.resolved_at is not None and notification.read_at is not None
    assert b'data-testid="notification-resolved"' in bob_client.get(LIST).content


def test_a_notification_about_a_group_i_can_no_longer_read_shows_no_title(
    closed_group, bob, alice, logged_in, django_capture_on_commit_callbacks
):
    question = Post.ask(closed_group, bob, title="Titolo riservato", body="Corpo riservato")
    with django_capture_on_commit_callbacks(execute=True):
        question.answer(alice, body="Risposta interna")
    notification = bob.notifications.get(kind="group-new-answer")
    client = logged_in(bob)
    assert "Titolo riservato" in client.get(LIST).content.decode()
    # Removed without the membership's delete signal (e.g. a bulk delete): the scope check
    # still hides the title when the centre is shown.
    closed_group.memberships.filter(user=bob).delete()
    Notification.objects.filter(pk=notification.pk).update(read_at=None)
    text = client.get(LIST).content.decode()
    assert "Titolo riservato" not in text
    if Notification.objects.filter(pk=notification.pk).exists():
        assert 'data-testid="notification-hidden"' in text
        response = client.post(reverse("notification_open", args=[notification.pk]))
        assert response["Location"] == LIST


def test_a_notification_whose_scope_i_cannot_read_shows_neither_title_nor_link(
    closed_group, dave, dave_client
):
    # However it got there (a race with a removal, a group closed meanwhile), the centre
    # checks the scope when it shows the item.
    notification = Notification.send(
        dave,
        "group-new-answer",
        gettext_noop("%(user)s answered “%(title)s” in %(group)s."),
        {"user": "Alice", "title": "Titolo riservato", "group": closed_group.name},
        url="/gruppi/copywriter-italia/domande/1/",
        scope=closed_group.notification_scope,
        email=False,
    )
    text = dave_client.get(LIST).content.decode()
    assert "Titolo riservato" not in text and closed_group.name not in text.split("<main")[1]
    assert 'data-testid="notification-hidden"' in text
    response = dave_client.post(reverse("notification_open", args=[notification.pk]))
    assert response["Location"] == LIST


# The badge --------------------------------------------------------------------------------


def test_badge_counts_unread_in_one_query_after_the_session(
    bob_client, bob, django_assert_num_queries
):
    notify(bob), notify(bob)
    # The member's password hash with the unread count and newest unread id (the session is
    # cached)
    with django_assert_num_queries(1):
        response = bob_client.get(BADGE, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b'data-testid="unread-count">2<' in response.content
    assert b"2 unread notifications" in response.content or b"2 notifiche non lette" in (
        response.content
    )
    assert response["Cache-Control"] == "private, no-cache"


def test_badge_answers_304_while_nothing_changes(bob_client, bob):
    notify(bob)
    first = bob_client.get(BADGE)
    etag = first["ETag"]
    again = bob_client.get(BADGE, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    notify(bob)
    changed = bob_client.get(BADGE, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and b">2<" in changed.content


def test_badge_for_visitors_and_stale_sessions_stops_polling(client, bob, bob_client, db):
    assert client.get(BADGE).status_code == 286
    bob.set_password("another-password-entirely")
    bob.save()
    assert bob_client.get(BADGE).status_code == 286


def test_nav_badge_is_a_polled_live_region(bob_client, bob):
    notify(bob)
    text = bob_client.get(LIST).content.decode()
    assert 'id="nav-unread" aria-live="polite"' in text
    assert f'hx-get="{BADGE}"' in text


@pytest.mark.parametrize("size", [3, 40])
def test_notification_centre_query_count(
    bob_client, bob, closed_group, size, django_assert_num_queries
):
    for _ in range(size):
        notify(bob, scope=closed_group.notification_scope)
    # user, count + page, scope check (readable groups among the page's), nav badges
    with django_assert_num_queries(5):
        response = bob_client.get(LIST)
    assert response.content.decode().count('data-testid="notification"') == min(size, 30)


def test_the_list_is_kept_for_its_member_and_a_decision_by_another_shows_at_once(
    closed_group, carol, alice, moderator, logged_in, django_assert_num_queries
):
    """The list is one of the member's own pages (config.page_cache.kept_for_member): read
    back, and a request another moderator decides shows as done on the next view."""
    request = closed_group.pending_request_of(carol)
    request.notify_moderators()
    alice_client = logged_in(alice)
    alice_client.post(reverse("notification_read_all"))  # read: the badge alone won't move
    assert b'data-testid="notification-resolved"' not in alice_client.get(LIST).content
    with django_assert_num_queries(2):  # the user, the badges
        assert alice_client.get(LIST).context is None
    request.approve(by=moderator)
    assert b'data-testid="notification-resolved"' in alice_client.get(LIST).content


def test_the_kept_list_outlives_the_member_s_own_posts_but_not_a_new_notification(
    closed_group, alice, bob, logged_in, django_assert_num_queries
):
    """What the member posts (an answer, a vote) changes nothing on the list: it is read back
    from the cache; a notification to them shows on the next view, with the badge."""
    question = Post.ask(closed_group, alice, title="Tariffe per un naming?", body="Quanto?")
    bob_client = logged_in(bob)
    notify(bob, scope=closed_group.notification_scope)
    bob_client.get(LIST)
    bob_client.post(
        reverse("groups:answer", args=[closed_group.slug, question.pk]),
        {"body": "Una risposta di bob alla propria domanda."},
    )
    assert Post.objects.filter(question=question, author=bob).exists()
    with django_assert_num_queries(2):  # the user, the badges
        response = bob_client.get(LIST)  # with the answer's message, filled into the kept page
    assert "profiles/notifications.html" not in [template.name for template in response.templates]
    assert response.content.decode().count('data-testid="notification"') == 1
    Notification.send(bob, "test", MESSAGE, {"user": "Ugo"}, email=False)
    response = bob_client.get(LIST)
    assert "profiles/notifications.html" in [template.name for template in response.templates]
    assert response.content.decode().count('data-testid="notification"') == 2
