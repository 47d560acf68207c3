"""Notifications: one model and one way to send them (Notification.send), for every app."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from profiles.models.accounts import User
from profiles.models.outbox import OutgoingEmail


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)

    def about(self, scope: str):
        return self.filter(scope=scope)


class Notification(models.Model):
    """Something a member should know about, shown in-app and optionally emailed.

    The message is stored as its English msgid plus parameters and translated when shown,
    so each member reads it in their current language. Mark msgids with gettext_noop.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.SlugField(max_length=40)
    message_id = models.CharField(max_length=300)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    # What the notification is about, as "<kind>:<id>" (for example "group:12"), so that the
    # app owning that thing can withdraw its notifications: a member who leaves a closed group
    # loses the notifications about it (groups deletes them; this layer knows no groups).
    scope = models.CharField(max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            # The navigation badge counts a member's unread ones on every page.
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        try:
            return gettext(self.message_id) % self.params
        except (KeyError, TypeError, ValueError):
            return gettext(self.message_id)

    @classmethod
    def send(
        cls,
        recipient: User,
        kind: str,
        message_id: str,
        params: dict | None = None,
        *,
        url: str = "",
        scope: str = "",
        email: bool = True,
    ) -> "Notification":
        notification = cls.objects.create(
            recipient=recipient,
            kind=kind,
            message_id=message_id,
            params=params or {},
            url=url,
            scope=scope,
        )
        if email:
            notification.queue_email()
        return notification

    def queue_email(self) -> None:
        with translation.override(self.recipient.language):
            context = {"notification": self, "site_url": settings.SITE_URL}
            message = EmailMultiAlternatives(
                subject=f"[Gilda] {self.text}"[:255],
                body=render_to_string("profiles/email/notification.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[self.recipient.email],
            )
        OutgoingEmail.queue(message)
