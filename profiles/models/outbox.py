"""The email outbox: mail stored with the request's transaction, sent later by a worker."""

from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutgoingEmailQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(sent_at__isnull=True, attempts__lt=OutgoingEmail.MAX_ATTEMPTS)


class OutgoingEmail(models.Model):
    """A transactional outbox: mail is stored with the request's transaction, then sent by
    a worker. If the broker is down when the request commits, the sweep sends it later."""

    MAX_ATTEMPTS = 5

    to = models.EmailField()
    from_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outgoingemail_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"

    @classmethod
    def queue(cls, message: EmailMultiAlternatives) -> list["OutgoingEmail"]:
        from profiles.tasks import send_outgoing_email

        html = next(
            (content for content, mimetype in message.alternatives if mimetype == "text/html"),
            "",
        )
        rows = [
            cls.objects.create(
                to=recipient,
                from_email=message.from_email,
                subject=message.subject,
                body_text=message.body,
                body_html=html,
            )
            for recipient in message.to
        ]
        for row in rows:
            send_outgoing_email.delay_on_commit(row.pk)
        return rows

    def send(self) -> bool:
        """Send this email once; safe to call twice and from two workers at once."""
        with transaction.atomic():
            row = (
                OutgoingEmail.objects.select_for_update(skip_locked=True)
                .filter(pk=self.pk, sent_at__isnull=True)
                .first()
            )
            if row is None:
                return False
            message = EmailMultiAlternatives(
                subject=row.subject, body=row.body_text, from_email=row.from_email, to=[row.to]
            )
            if row.body_html:
                message.attach_alternative(row.body_html, "text/html")
            row.attempts += 1
            try:
                message.send()
            except Exception as error:  # noqa: BLE001 - any mail failure is retried by the sweep
                row.last_error = str(error)[:2000]
                row.save(update_fields=["attempts", "last_error"])
                return False
            row.sent_at = timezone.now()
            row.save(update_fields=["attempts", "sent_at"])
            return True
