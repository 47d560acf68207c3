from django.core import mail
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop

from profiles.models import Notification

MESSAGE = gettext_noop("Your request to join %(group)s was approved.")


def notify(user, **kwargs):
    return Notification.send(
        user, "test", MESSAGE, {"group": "Copywriter Italia"}, url="/", **kwargs
    )


def test_sending_stores_it_and_emails_the_recipient(bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(bob)

    assert notification.recipient == bob
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]
    assert "Copywriter Italia" in mail.outbox[0].subject
    assert "http://127.0.0.1:8000/" in mail.outbox[0].body


def test_email_is_in_the_recipients_language(bob, django_capture_on_commit_callbacks):
    bob.language = "en"
    bob.save()

    with django_capture_on_commit_callbacks(execute=True):
        notify(bob)

    assert "Hello Roberto Bianchi" in mail.outbox[0].body


def test_inbox_lists_only_my_notifications(bob_client, bob, dave):
    notify(bob, email=False)
    Notification.send(dave, "test", MESSAGE, {"group": "Segreto di Dave"}, email=False)

    response = bob_client.get(reverse("notification_list"))

    assert response.status_code == 200
    assert b"Copywriter Italia" in response.content
    assert "Segreto di Dave" not in response.content.decode()


def test_unread_badge_counts_unread(bob_client, bob):
    notify(bob, email=False)
    notify(bob, email=False)

    response = bob_client.get("/")

    assert b'data-testid="unread-count">2<' in response.content


def test_opening_marks_read_and_follows_the_link(bob_client, bob):
    notification = notify(bob, email=False)

    response = bob_client.post(reverse("notification_open", args=[notification.pk]))

    assert response.status_code == 302
    assert response["Location"] == "/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_cannot_open_someone_elses_notification(dave_client, bob):
    notification = notify(bob, email=False)

    response = dave_client.post(reverse("notification_open", args=[notification.pk]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_offsite_links_are_not_followed(bob_client, bob):
    notification = Notification.send(
        bob, "test", MESSAGE, {}, url="https://evil.example/", email=False
    )

    response = bob_client.post(reverse("notification_open", args=[notification.pk]))

    assert response["Location"] == reverse("notification_list")


def test_open_requires_post(bob_client, bob):
    notification = notify(bob, email=False)

    assert bob_client.get(reverse("notification_open", args=[notification.pk])).status_code == 405


def test_mark_all_read(bob_client, bob):
    notify(bob, email=False)
    notify(bob, email=False)

    bob_client.post(reverse("notification_read_all"))

    assert not bob.notifications.unread().exists()


def test_inbox_needs_login(client, db):
    response = client.get(reverse("notification_list"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_inbox_htmx_returns_the_fragment_only(bob_client, bob):
    notify(bob, email=False)

    response = bob_client.get(reverse("notification_list"), headers={"HX-Request": "true"})

    assert b'id="notification-list"' in response.content
    assert b"<html" not in response.content


def test_language_choice_is_remembered_on_the_member(bob_client, bob):
    bob_client.post(reverse("set_language"), {"language": "en", "next": "/"})

    bob.refresh_from_db()
    assert bob.language == "en"


def test_broken_params_still_render(bob):
    notification = Notification.send(bob, "test", MESSAGE, {"wrong": 1}, email=False)

    # The message, translated, with its placeholder left as it is.
    assert notification.text == gettext(MESSAGE)
    assert "%(group)s" in notification.text
