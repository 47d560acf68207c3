"""Side effects that survive a dead broker, a dead worker and a dead SMTP server.

`OutboxTask` is the one mechanism: a request records the intent to run a Celery task as a row
in its own transaction; after commit the intent is published as a best effort; a beat sweep
publishes again whatever is still not done. A runner claims the intent with a lease before
running it, so at most one worker runs it at a time, and failures back off exponentially (with
jitter) for about a day before the intent is dead-lettered, visible and retryable in the admin.

`OutgoingEmail` is the mail itself: stored with the request's transaction, delivered by the
`profiles.tasks.send_outgoing_email` intent, under its own lease so that no two workers send it.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class RetryLater(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a task that cannot run yet (another worker holds the work's lease): the intent
    is retried at `at` without counting a failed attempt."""

    def __init__(self, at):
        super().__init__(f"retry at {at.isoformat()}")
        self.at = at


def backoff_seconds(attempts: int) -> float:
    """Delay before attempt `attempts + 1`: doubling from a minute, capped at six hours, with
    ±25% jitter so that a burst of failures does not come back as a burst."""
    base = min(60 * 2 ** max(attempts - 1, 0), 6 * 3600)
    return base * random.uniform(0.75, 1.25)


class OutboxTaskQuerySet(models.QuerySet):
    def due_for_publishing(self, now=None, *, unpublished_after: int = 30, stale_after: int = 300):
        """Intents that should be (re)published: never published (broker down at commit) for
        `unpublished_after` seconds, or published more than `stale_after` seconds ago and still
        not done (message lost, worker killed), and not leased by a live runner."""
        now = now or timezone.now()
        return self.filter(
            Q(state=OutboxTask.State.PENDING) | Q(state=OutboxTask.State.RUNNING),
            Q(lease_until__isnull=True) | Q(lease_until__lt=now),
            next_attempt_at__lte=now,
        ).filter(
            Q(
                published_at__isnull=True,
                next_attempt_at__lte=now - timedelta(seconds=unpublished_after),
            )
            | Q(published_at__lt=now - timedelta(seconds=stale_after))
        )


class OutboxTask(models.Model):
    """A durable intent to run the Celery task `name` with `args` (JSON)."""

    MAX_ATTEMPTS = 12  # with backoff_seconds: about 24 hours of retrying
    # Above the runner's time limit (LEASE_SECONDS - 60 = 240 s), itself 6 times the longest
    # task measured on a loaded machine (38 s; 12.5 s quiet; bench/task_runtimes.py, README:
    # Reliability). A killed worker's intent is published again once its lease runs out.
    LEASE_SECONDS = 300

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        DEAD = "dead", _("dead (gave up)")

    name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    key = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Idempotency key: at most one pending intent per key."),
    )
    state = models.CharField(max_length=10, choices=State, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    objects = OutboxTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("background task")
        verbose_name_plural = _("background tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(state="pending") & ~Q(key=""),
                name="outboxtask_one_pending_per_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "running"]),
                name="outboxtask_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}{tuple(self.args)!r} [{self.state}]"

    @classmethod
    def enqueue(cls, name: str, *args, key: str = "", delay: float = 0) -> "OutboxTask | None":
        """Record the intent in the caller's transaction and publish it after commit.

        With a `key`, a second intent while one with the same key is still pending is
        dropped (the pending one will do the same work) and None is returned. With a `delay`
        (seconds), the intent runs no sooner: with a key, what asks for the same work
        meanwhile joins it. Where tasks run eagerly (no broker to hold them), it runs at once.
        """
        from celery import current_app

        intent = cls(name=name, args=list(args), key=key)
        if delay and not current_app.conf.task_always_eager:
            intent.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        if key:
            try:
                with transaction.atomic():
                    intent.save()
            except IntegrityError:
                return None
        else:
            intent.save()
        transaction.on_commit(intent.publish)
        return intent

    def publish(self) -> bool:
        """Best effort, never raises: the sweep publishes later what this could not."""
        from profiles.tasks import run_outbox_task

        try:
            now = timezone.now()
            OutboxTask.objects.filter(pk=self.pk).update(published_at=now)
            # Not before it is due: a claim before then would refuse it.
            countdown = max((self.next_attempt_at - now).total_seconds(), 0) or None
            if run_outbox_task.apply_async((self.pk,), countdown=countdown) is None:
                OutboxTask.objects.filter(pk=self.pk, state=self.State.PENDING).update(
                    published_at=None
                )
                return False
            return True
        except Exception:  # noqa: BLE001 - publishing must never fail the request
            logger.exception("Could not publish outbox task %s", self.pk)
            return False

    @classmethod
    def claim(cls, pk: int) -> "OutboxTask | None":
        """Take the lease on an intent that is due; None if it is done, dead, not due yet or
        leased by another runner. The claim commits before the task runs."""
        now = timezone.now()
        claimed = (
            cls.objects.filter(pk=pk, state__in=[cls.State.PENDING, cls.State.RUNNING])
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now), next_attempt_at__lte=now)
            .update(
                state=cls.State.RUNNING,
                lease_until=now + timedelta(seconds=cls.LEASE_SECONDS),
                attempts=F("attempts") + 1,
            )
        )
        return cls.objects.filter(pk=pk).first() if claimed else None

    def run(self) -> bool:
        """Run the claimed intent's task in this process and record the outcome."""
        from celery import current_app

        if self.name not in current_app.tasks:
            current_app.loader.import_default_modules()
        try:
            current_app.tasks[self.name](*self.args)
        except RetryLater as later:
            self._release(next_attempt_at=later.at, attempts=F("attempts") - 1)
            return False
        except Exception as error:  # noqa: BLE001 - every failure is retried with backoff
            logger.warning("Outbox task %s (%s) failed: %s", self.pk, self.name, error)
            self.fail(str(error))
            return False
        OutboxTask.objects.filter(pk=self.pk).update(
            state=self.State.DONE, lease_until=None, finished_at=timezone.now(), last_error=""
        )
        return True

    def fail(self, error: str) -> None:
        attempts = OutboxTask.objects.values_list("attempts", flat=True).get(pk=self.pk)
        if attempts >= self.MAX_ATTEMPTS:
            OutboxTask.objects.filter(pk=self.pk).update(
                state=self.State.DEAD,
                lease_until=None,
                finished_at=timezone.now(),
                last_error=error[:2000],
            )
            logger.error("Outbox task %s (%s) dead after %s attempts", self.pk, self.name, attempts)
            return
        delay = timedelta(seconds=backoff_seconds(attempts))
        self._release(next_attempt_at=timezone.now() + delay, last_error=error[:2000])

    def _release(self, **fields) -> None:
        """Back to pending (unpublished, so the sweep publishes it when due)."""
        update = dict(state=self.State.PENDING, lease_until=None, published_at=None, **fields)
        try:
            with transaction.atomic():
                OutboxTask.objects.filter(pk=self.pk).update(**update)
        except IntegrityError:
            # A newer intent with the same key is pending and will do the same work.
            OutboxTask.objects.filter(pk=self.pk).update(
                state=self.State.DONE, lease_until=None, finished_at=timezone.now()
            )

    @classmethod
    def retry_now(cls, queryset) -> int:
        """Admin: give dead (or waiting) intents a fresh set of attempts, due now."""
        intents = list(queryset.exclude(state=cls.State.DONE))
        for intent in intents:
            intent.state = cls.State.PENDING
            intent.attempts = 0
            intent.next_attempt_at = timezone.now()
            intent.lease_until = None
            intent.published_at = None
            intent.finished_at = None
            try:
                with transaction.atomic():
                    intent.save()
            except IntegrityError:
                continue
            transaction.on_commit(intent.publish)
        return len(intents)


class OutgoingEmailQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(sent_at__isnull=True)


class OutgoingEmail(models.Model):
    """A transactional outbox: mail is stored with the request's transaction, then delivered
    by an OutboxTask; see the module docstring."""

    LEASE_SECONDS = 300  # longer than any SMTP exchange (the mailer's timeout is shorter)

    to = models.EmailField()
    from_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # Extra headers to send (List-Unsubscribe and List-Unsubscribe-Post, RFC 8058).
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

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
        html = next(
            (content for content, mimetype in message.alternatives if mimetype == "text/html"),
            "",
        )
        with transaction.atomic():
            rows = [
                cls.objects.create(
                    to=recipient,
                    from_email=message.from_email,
                    subject=message.subject,
                    body_text=message.body,
                    body_html=html,
                    headers={
                        str(name): str(value)
                        for name, value in (message.extra_headers or {}).items()
                        if name.lower() != "message-id"
                    },
                )
                for recipient in message.to
            ]
            for row in rows:
                row.schedule()
        return rows

    def schedule(self) -> OutboxTask | None:
        return OutboxTask.enqueue("profiles.tasks.send_outgoing_email", self.pk)

    @property
    def message_id(self) -> str:
        """Stable per row: a resend after a crash carries the same Message-ID, so receiving
        servers and clients can recognise the duplicate."""
        domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "gilda.localhost"
        return f"<outbox-{self.pk}-{int(self.created_at.timestamp())}@{domain}>"

    def claim(self) -> bool:
        """Take the sending lease in its own short transaction; False if already sent or
        another worker is sending it now."""
        now = timezone.now()
        return bool(
            OutgoingEmail.objects.filter(pk=self.pk, sent_at__isnull=True)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .update(
                lease_until=now + timedelta(seconds=self.LEASE_SECONDS),
                attempts=F("attempts") + 1,
            )
        )

    def send(self) -> bool:
        """Deliver once. Returns False if it was already sent; raises RetryLater while another
        worker holds the lease, and the mailer's error if SMTP fails (the lease is released).

        No transaction or row lock is held during the SMTP exchange: the lease is committed
        first, and the row is marked sent afterwards."""
        if not self.claim():
            row = OutgoingEmail.objects.filter(pk=self.pk).values("sent_at", "lease_until").first()
            if row is None or row["sent_at"] is not None:
                return False
            raise RetryLater(row["lease_until"])
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=self.body_text,
            from_email=self.from_email,
            to=[self.to],
            headers={**(self.headers or {}), "Message-ID": self.message_id},
        )
        if self.body_html:
            message.attach_alternative(self.body_html, "text/html")
        try:
            message.send()
        except Exception as error:
            OutgoingEmail.objects.filter(pk=self.pk).update(
                lease_until=None, last_error=str(error)[:2000]
            )
            raise
        OutgoingEmail.objects.filter(pk=self.pk).update(
            sent_at=timezone.now(), lease_until=None, last_error=""
        )
        return True
