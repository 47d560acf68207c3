"""Connections between members: the connected pairs, requests, the block actions, and the stored
suggestions with their staleness marks."""

import uuid
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from connections.home_cache import forget_circle
from profiles.models import Block as AccountBlock
from profiles.models import Notification, OutboxTask, User
from profiles.ratelimits import enforce

REQUEST_MESSAGE_MAX = 500


class ConnectionActionError(Exception):
    """A refused connection action, with a message fit to show the member."""


def _pair(a_id: int, b_id: int) -> tuple[int, int]:
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def lock_pair(a_id: int, b_id: int) -> None:
    """Serialise every change between two members: lock both user rows, lowest id first,
    so A→B and B→A arriving together queue up instead of deadlocking. The suggestions'
    advisory locks of both come first (lock_users), as a worker takes them before any row:
    a request that locked the rows and then waited for a worker's bucket deadlocked with it
    (seen once under the load test: a 500 on a connection request). The rows are locked FOR
    NO KEY UPDATE: it queues the pair's changes all the same, but leaves alone the key-share
    lock that inserting a row pointing at a member takes. FOR UPDATE blocked those inserts,
    and a worker's stale marks inserted for many members deadlocked with a request that held
    one of them and marked it too (round 15: a 500 under the load test)."""
    lock_users([a_id, b_id])
    pair = User.objects.select_for_update(no_key=True).filter(pk__in=_pair(a_id, b_id))
    list(pair.order_by("pk"))


# Suggestions are locked per bucket of user ids (advisory locks on PostgreSQL): a refresh,
# a rescore, a range recompute and a request's drop never interleave their writes for the
# same member. Always taken before the member's stale mark, in sorted order.
LOCK_BUCKET_BITS = 10
LOCK_NAMESPACE = 4242


def lock_users(user_ids) -> None:
    """Take the advisory locks of these members' buckets (PostgreSQL), in a fixed order."""
    if connection.vendor != "postgresql":
        return
    buckets = sorted({int(pk) >> LOCK_BUCKET_BITS for pk in user_ids})
    with connection.cursor() as cursor:
        for bucket in buckets:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, bucket])


class ConnectionQuerySet(models.QuerySet):
    def involving(self, user_id: int):
        return self.filter(Q(user_low_id=user_id) | Q(user_high_id=user_id))

    def between(self, a_id: int, b_id: int):
        low, high = _pair(a_id, b_id)
        return self.filter(user_low_id=low, user_high_id=high)

    def other_ids(self, user_id: int):
        """The ids of user_id's connections, as a subquery-friendly values queryset."""
        return (
            self.involving(user_id)
            .annotate(
                other=models.Case(
                    models.When(user_low_id=user_id, then=F("user_high_id")),
                    default=F("user_low_id"),
                )
            )
            .values("other")
        )


class Connection(models.Model):
    """One row per connected pair, stored with the lower user id first.

    The check constraint forbids a self-connection and fixes the order, so the unique
    constraint forbids a duplicate in either direction.
    """

    user_low = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    user_high = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("connected"), default=timezone.now)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        constraints = [
            models.UniqueConstraint(fields=["user_low", "user_high"], name="connection_unique"),
            models.CheckConstraint(
                condition=Q(user_low__lt=F("user_high")), name="connection_ordered_no_self"
            ),
        ]
        indexes = [models.Index(fields=["user_high", "user_low"], name="connection_high_idx")]

    def __str__(self) -> str:
        return f"{self.user_low_id} ↔ {self.user_high_id}"

    def other(self, user_id: int) -> int:
        return self.user_high_id if self.user_low_id == user_id else self.user_low_id

    @classmethod
    def connect(cls, a, b) -> "Connection":
        """Connect two members (caller holds lock_pair); connecting twice is a no-op."""
        low, high = _pair(a.pk, b.pk)
        connection, created = cls.objects.get_or_create(user_low_id=low, user_high_id=high)
        if created:
            # Any pending request between them is answered by the connection.
            ConnectionRequest.objects.pending_between(a.pk, b.pk).update(
                status=ConnectionRequest.Status.ACCEPTED, decided_at=timezone.now()
            )
            mark_stale_after_graph_change(a.pk, b.pk)
        return connection

    @classmethod
    def remove(cls, a, b) -> bool:
        with transaction.atomic():
            lock_pair(a.pk, b.pk)
            deleted, _by_model = cls.objects.between(a.pk, b.pk).delete()
            if deleted:
                mark_stale_after_graph_change(a.pk, b.pk)
        return bool(deleted)


def are_connected(a_id: int, b_id: int) -> bool:
    return a_id != b_id and Connection.objects.between(a_id, b_id).exists()


def connected_ids(user_id: int) -> set[int]:
    return set(Connection.objects.other_ids(user_id).values_list("other", flat=True))


def mutual_connection_ids(a_id: int, b_id: int) -> set[int]:
    return connected_ids(a_id) & connected_ids(b_id)


def mutual_names(user_id: int, candidate_ids: Sequence[int], limit: int = 2) -> dict:
    """For each candidate, up to `limit` mutual connections with user_id (User objects),
    in one query: what a suggestion's explanation names."""

    if not candidate_ids:
        return {}
    # The member's connections as a subquery: a hub's thousands of ids never travel.
    mine = Connection.objects.other_ids(user_id)
    pairs = Connection.objects.filter(
        Q(user_low_id__in=candidate_ids, user_high_id__in=mine)
        | Q(user_high_id__in=candidate_ids, user_low_id__in=mine)
    ).values_list("user_low_id", "user_high_id")
    wanted = set(candidate_ids)
    by_candidate: dict[int, list[int]] = {}
    for low, high in pairs:
        # A candidate is never the member's connection: the other end of its row is.
        candidate, mutual = (low, high) if low in wanted else (high, low)
        if mutual != user_id:
            by_candidate.setdefault(candidate, []).append(mutual)
    chosen = {c: sorted(ids)[:limit] for c, ids in by_candidate.items()}
    users = User.objects.select_related("profile").in_bulk(
        {pk for ids in chosen.values() for pk in ids}
    )
    return {c: [users[pk] for pk in ids if pk in users] for c, ids in chosen.items()}


class ConnectionRequestQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status__in=ConnectionRequest.OPEN_STATUSES)

    def pending_between(self, a_id: int, b_id: int):
        return self.pending().filter(
            Q(sender_id=a_id, recipient_id=b_id) | Q(sender_id=b_id, recipient_id=a_id)
        )

    def incoming(self, user):
        """What the recipient still has to answer (ignored requests are out of sight)."""
        return self.filter(recipient=user, status=ConnectionRequest.Status.PENDING)

    def outgoing(self, user):
        """What the sender waits on; an ignored request still looks pending to them."""
        return self.pending().filter(sender=user)


class ConnectionRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        IGNORED = "ignored", _("Ignored")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN_STATUSES = (Status.PENDING, Status.IGNORED)

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sent_connection_requests",
        verbose_name=_("from"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="received_connection_requests",
        verbose_name=_("to"),
    )
    message = models.TextField(_("message"), max_length=REQUEST_MESSAGE_MAX, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(_("answered"), null=True, blank=True)

    objects = ConnectionRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("connection request")
        verbose_name_plural = _("connection requests")
        constraints = [
            models.CheckConstraint(
                condition=~Q(sender=F("recipient")), name="connectionrequest_no_self"
            ),
            # One open request per unordered pair: A→B and B→A can't both be pending.
            models.UniqueConstraint(
                Least("sender", "recipient"),
                Greatest("sender", "recipient"),
                condition=Q(status__in=["pending", "ignored"]),
                name="connectionrequest_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "ignored", "accepted", "declined", "withdrawn"]),
                name="connectionrequest_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(status="pending"),
                name="connreq_incoming_idx",
            ),
            models.Index(
                fields=["sender", "-created_at"],
                condition=Q(status__in=["pending", "ignored"]),
                name="connreq_outgoing_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.recipient} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @classmethod
    def weekly_cap_for(cls, user) -> int:
        new_account = timezone.now() - user.date_joined < timedelta(
            days=settings.CONNECTIONS_NEW_ACCOUNT_DAYS
        )
        if new_account:
            return settings.CONNECTIONS_WEEKLY_CAP_NEW
        return settings.CONNECTIONS_WEEKLY_CAP

    @classmethod
    def sent_this_week(cls, user) -> int:
        """Requests sent in the last seven days, whatever became of them: withdrawing one
        does not give the send back."""
        since = timezone.now() - timedelta(days=7)
        return cls.objects.filter(sender=user, created_at__gte=since).count()

    def is_repeat(self) -> bool:
        """Did the sender already ask this person within the cooldown?"""
        since = self.created_at - timedelta(days=settings.CONNECTIONS_REPEAT_COOLDOWN_DAYS)
        return (
            ConnectionRequest.objects.filter(
                sender_id=self.sender_id, recipient_id=self.recipient_id, created_at__gte=since
            )
            .exclude(pk=self.pk)
            .exists()
        )

    @classmethod
    def send(cls, sender, recipient, message: str = "") -> "ConnectionRequest | Connection":
        """Ask to connect. A request in the opposite direction simply connects the two.

        Returns the new (or already pending) request, or the Connection when it connected.
        """
        if sender.pk == recipient.pk:
            raise ConnectionActionError(_("You cannot connect with yourself."))
        message = (message or "").replace("\x00", "").strip()
        if len(message) > REQUEST_MESSAGE_MAX:
            raise ConnectionActionError(_("The message is too long."))
        with transaction.atomic():
            lock_pair(sender.pk, recipient.pk)
            if Block.objects.between(sender.pk, recipient.pk).exists():
                raise ConnectionActionError(_("You cannot connect with this member."))
            existing = Connection.objects.between(sender.pk, recipient.pk).first()
            if existing is not None:
                return existing
            opposite = cls.objects.pending().filter(sender=recipient, recipient=sender).first()
            if opposite is not None:
                return opposite.accept()
            mine = cls.objects.pending().filter(sender=sender, recipient=recipient).first()
            if mine is not None:
                return mine
            enforce(sender, "connection_request", cls.objects.filter(sender=sender))
            if cls.sent_this_week(sender) >= cls.weekly_cap_for(sender):
                raise ConnectionActionError(
                    _(
                        "You have reached this week's limit of %(cap)d connection requests. "
                        "Requests you withdraw still count: try again in a few days."
                    )
                    % {"cap": cls.weekly_cap_for(sender)}
                )
            try:
                with transaction.atomic():
                    request = cls.objects.create(
                        sender=sender, recipient=recipient, message=message
                    )
            except IntegrityError:
                # Another open request for the pair appeared (only possible without locks).
                return cls.objects.pending_between(sender.pk, recipient.pk).first()
            # An open request excludes the pair from suggestions both ways.
            Suggestion.drop_pair(sender.pk, recipient.pk)
            if request.is_repeat():
                return request
            Notification.send(
                recipient,
                "connection-request",
                gettext_noop("%(user)s would like to connect with you."),
                {"user": sender.name, "request_id": request.pk},
                url=reverse("connections:network"),
                mentions_me=True,
            )
        return request

    def _close(self, status: str) -> bool:
        changed = ConnectionRequest.objects.filter(
            pk=self.pk, status__in=self.OPEN_STATUSES
        ).update(status=status, decided_at=timezone.now())
        if changed:
            Notification.objects.filter(
                kind="connection-request", params__request_id=self.pk
            ).resolve(forget=forget_circle)
            forget_circle(self.sender_id, self.recipient_id)
        self.refresh_from_db(fields=["status", "decided_at"])
        return bool(changed)

    def accept(self) -> "Connection | None":
        """Connect the two members. Concurrent accepts make one connection; None if the
        request was already answered by someone else."""
        with transaction.atomic():
            lock_pair(self.sender_id, self.recipient_id)
            if not self._close(self.Status.ACCEPTED):
                return Connection.objects.between(self.sender_id, self.recipient_id).first()
            connection = Connection.connect(self.sender, self.recipient)
            Notification.send(
                self.sender,
                "connection-accepted",
                gettext_noop("%(user)s accepted your connection request."),
                {"user": self.recipient.name},
                url=self.recipient.get_absolute_url(),
            )
        return connection

    def decline(self) -> bool:
        with transaction.atomic():
            return self._close_reopening_suggestions(self.Status.DECLINED)

    def _close_reopening_suggestions(self, status: str) -> bool:
        """A declined or withdrawn request no longer excludes the pair: both may be
        suggested to each other again."""
        closed = self._close(status)
        if closed:
            mark_stale(self.sender_id, self.recipient_id)
        return closed

    def ignore(self) -> bool:
        ignored = ConnectionRequest.objects.filter(pk=self.pk, status=self.Status.PENDING).update(
            status=self.Status.IGNORED
        )
        if ignored:
            forget_circle(self.sender_id, self.recipient_id)
        return bool(ignored)

    def withdraw(self) -> bool:
        with transaction.atomic():
            return self._close_reopening_suggestions(self.Status.WITHDRAWN)


class Block(AccountBlock):
    """The identity layer's Block, with what a block ends in the network."""

    class Meta:
        proxy = True
        verbose_name = _("block")
        verbose_name_plural = _("blocks")

    @classmethod
    def block(cls, blocker, blocked) -> "Block":
        """Block a member: ends the connection and any open request between them."""
        if blocker.pk == blocked.pk:
            raise ConnectionActionError(_("You cannot block yourself."))
        with transaction.atomic():
            lock_pair(blocker.pk, blocked.pk)
            block, _created = cls.objects.get_or_create(blocker=blocker, blocked=blocked)
            Connection.objects.between(blocker.pk, blocked.pk).delete()
            ConnectionRequest.objects.pending_between(blocker.pk, blocked.pk).update(
                status=ConnectionRequest.Status.DECLINED, decided_at=timezone.now()
            )
            Suggestion.drop_pair(blocker.pk, blocked.pk)
            mark_stale_after_graph_change(blocker.pk, blocked.pk)
        return block

    @classmethod
    def unblock(cls, blocker, blocked) -> bool:
        with transaction.atomic():
            deleted, _by_model = cls.objects.filter(blocker=blocker, blocked=blocked).delete()
            if deleted:
                mark_stale(blocker.pk, blocked.pk)
        return bool(deleted)


# People you may know ---------------------------------------------------------------------


class Suggestion(models.Model):
    """One of a member's top candidates, with what explains it. Written by the engine in
    connections/suggestions.py; a member's rows are replaced in one transaction. The names
    of mutual connections are read when shown (mutual_names), so they are always current."""

    # A derived table, rewritten wholesale by COPY: database foreign keys would be checked
    # row by row at commit (measured: 60% of a range's write time), so Django enforces the
    # cascade instead. The uniqueness and not-self checks stay in the database.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="suggestions",
        db_constraint=False,
    )
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    rank = models.PositiveSmallIntegerField()
    mutual_count = models.PositiveIntegerField(default=0)
    shared_groups = models.PositiveIntegerField(default=0)
    same_city = models.BooleanField(default=False)
    same_sector = models.BooleanField(default=False)
    complementary = models.BooleanField(default=False)
    # Meetups both were marked present at, and the most recent of them (its id; 0 = none).
    # An id and not a foreign key: the rows are written by binary COPY, which has no cheap
    # null, and the title is read when shown, so it is current and only shown to a viewer
    # who may still read the event's group (network.explained).
    shared_events = models.PositiveIntegerField(default=0)
    latest_shared_event_pk = models.PositiveBigIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user", "rank"]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        constraints = [
            models.UniqueConstraint(fields=["user", "candidate"], name="suggestion_unique"),
            models.CheckConstraint(condition=~Q(user=F("candidate")), name="suggestion_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.candidate_id} #{self.rank}"

    @classmethod
    def drop(cls, user_id: int, candidate_id: int) -> bool:
        """Take candidate_id out of user_id's stored list at once and close the rank gap:
        the spare rows beyond those shown move up, so the list stays full until the worker
        refills it (the caller marks user_id stale)."""
        lock_users([user_id])
        row = cls.objects.filter(user_id=user_id, candidate_id=candidate_id).first()
        if row is None:
            return False
        row.delete()
        cls.objects.filter(user_id=user_id, rank__gt=row.rank).update(rank=F("rank") - 1)
        return True

    @classmethod
    def drop_pair(cls, a_id: int, b_id: int) -> None:
        """Neither may be suggested to the other any more (a request, a block): both lists
        lose the other at once, and both are refilled by the worker."""
        lock_users([a_id, b_id])
        cls.drop(a_id, b_id)
        cls.drop(b_id, a_id)
        mark_stale(a_id, b_id)


class Dismissal(models.Model):
    """A suggestion the member waved away: never suggested again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dismissals"
    )
    candidate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("dismissed suggestion")
        verbose_name_plural = _("dismissed suggestions")
        constraints = [
            models.UniqueConstraint(fields=["user", "candidate"], name="dismissal_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ✕ {self.candidate_id}"


class StaleSuggestionsQuerySet(models.QuerySet):
    def claimable(self):
        cutoff = timezone.now() - StaleSuggestions.CLAIM_TIMEOUT
        return self.filter(Q(claimed_by="") | Q(claimed_at__lt=cutoff))


class StaleSuggestions(models.Model):
    """Members whose suggestions must be recomputed. Written in the same transaction as
    the change, so nothing is lost when the broker is down; tasks and a sweep drain it.
    One row per member debounces bursts. A worker claims rows with a token and deletes
    them when its results commit; a mark arriving meanwhile clears the token, so the
    row survives and is refreshed again."""

    # A claim older than this belongs to a dead worker and is claimed again.
    CLAIM_TIMEOUT = timedelta(minutes=5)
    REFRESH_BATCH = 2500

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_by = models.CharField(max_length=32, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)

    objects = StaleSuggestionsQuerySet.as_manager()

    class Meta:
        verbose_name = _("stale suggestions")
        verbose_name_plural = _("stale suggestions")

    def __str__(self) -> str:
        return str(self.user_id)

    @classmethod
    def claim(cls, limit: int) -> tuple[str, list[int]]:
        token = uuid.uuid4().hex
        with transaction.atomic():
            ids = list(
                cls.objects.claimable()
                .select_for_update(skip_locked=True)
                .order_by("marked_at")
                .values_list("user_id", flat=True)[:limit]
            )
            cls.objects.filter(user_id__in=ids).update(claimed_by=token, claimed_at=timezone.now())
        return token, ids


def mark_stale(*user_ids: int) -> None:
    """Queue a refresh for these members (after commit), coalescing repeats."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    now = timezone.now()
    StaleSuggestions.objects.bulk_create(
        [StaleSuggestions(user_id=pk, marked_at=now) for pk in ids],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["marked_at", "claimed_by"],
    )
    wake_refresh()


def wake_refresh() -> None:
    """A refresh wake-up after commit. One pending wake-up is enough: the marks themselves are
    the work list, and those of the next SUGGESTIONS_REFRESH_DELAY seconds join this one's."""
    OutboxTask.enqueue(
        "connections.tasks.refresh_stale_suggestions",
        key="suggestions-refresh",
        delay=settings.SUGGESTIONS_REFRESH_DELAY,
    )


def unclaim(user_ids) -> None:
    """Whatever a worker computed for these members before now is out of date (the caller
    changed what their lists read, or the lists themselves): their claimed marks lose their
    claim, so the worker computing them does not write its result (suggestions.refresh_for)
    and they are refreshed again. Marks nobody claimed are left as they are."""
    ids = sorted({int(pk) for pk in user_ids})
    if ids:
        StaleSuggestions.objects.filter(user_id__in=ids).exclude(claimed_by="").update(
            claimed_by=""
        )


def mark_candidate_changed(user_id: int, group_id: int | None = None) -> None:
    """Something others rank this member by changed: their profile (group_id None), or
    their seat in group_id. The editor's own list is refreshed; a worker then finds whose
    lists the change can move (connections.tasks.candidate_changed), since that takes a
    look around the member that a request should not wait for."""
    mark_stale(user_id)
    scope = "profile" if group_id is None else f"group-{group_id}"
    OutboxTask.enqueue(
        "connections.tasks.candidate_changed",
        user_id,
        group_id,
        key=f"suggestions-candidate-{user_id}-{scope}",
    )


def mark_stale_after_graph_change(a_id: int, b_id: int) -> None:
    """An edge a–b appeared or vanished: a's and b's lists are recomputed; for every other
    member only one pair can have changed (b's mutual count with a's connections, and the
    reverse), so a worker rescores that pair in their stored lists
    (connections.tasks.rescore_candidate, reading the connections when it runs)."""
    mark_stale(a_id, b_id)
    for candidate, via in ((b_id, a_id), (a_id, b_id)):
        OutboxTask.enqueue(
            "connections.tasks.rescore_candidate",
            candidate,
            via,
            key=f"suggestions-rescore-{candidate}-via-{via}",
        )


# Conversations live in their own module; importing them here registers the models.
from connections.conversations import (  # noqa: E402
    Conversation,
    Message,
    MessagingSettings,
    Participant,
)

__all__ = [
    "Block",
    "Connection",
    "ConnectionActionError",
    "ConnectionRequest",
    "Conversation",
    "Dismissal",
    "Message",
    "MessagingSettings",
    "Participant",
    "StaleSuggestions",
    "Suggestion",
]
