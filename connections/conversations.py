"""Conversations: one-to-one messages between members, message requests, read states, and the
email about a conversation left unread. Imported by connections/models.py (Django's model
registry); the pages live in connections/views/conversations.py, the push channel in
connections/live.py."""

import logging
import re
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Greatest, Length
from django.db.models.lookups import LessThanOrEqual
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from config.page_cache import forget_activity, generation_keys
from groups.models import Membership
from groups.models.reports import CONVERSATION, MESSAGE, report_to_staff
from profiles.models import (
    Block,
    EmailFrequency,
    EmailKind,
    EmailPreference,
    Notification,
    OutboxTask,
    OutgoingEmail,
    RetryLater,
    User,
    block_between_exists,
    unsubscribe_headers,
)

logger = logging.getLogger(__name__)

MESSAGE_MAX = 2000
# A reported conversation carries its latest messages to staff, and no more.
REPORTED_MESSAGES = 20
EDIT_WINDOW = timedelta(minutes=10)
UNREAD_EMAIL_AFTER = timedelta(minutes=15)
STREAM_TOKEN_SALT = "connections.talk-stream"
STREAM_TOKEN_MAX_AGE = 24 * 3600
LINK = re.compile(r"(https?://|www\.)|\b[\w-]+\.(it|com|net|org|eu|io)\b", re.IGNORECASE)


class ConversationError(Exception):
    """A refused conversation action, with a message fit to show the member."""


# The member-level rules, each in one place ------------------------------------------------


def may_write(user) -> bool:
    """May this member write messages at all? The one place to say so (a suspended member's
    sessions also end at their next request: profiles.middleware.RefuseSuspended)."""
    return bool(user.is_authenticated and user.is_active and not user.is_suspended)


def message_email_frequency(user) -> str:
    """How the member hears about a conversation left unread: the "messages" kind of the email
    preferences (immediately: one email; daily or weekly: a line in the digest; off)."""
    if not (user.email and user.is_active):
        return EmailFrequency.OFF
    return EmailPreference.frequency_for(user, EmailKind.MESSAGES)


def _pair(a_id: int, b_id: int) -> tuple[int, int]:
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def _lock_pair(a_id: int, b_id: int) -> None:
    """The same locks as connections' lock_pair: both user rows, lowest id first, FOR NO KEY
    UPDATE."""
    pair = User.objects.select_for_update(no_key=True).filter(pk__in=_pair(a_id, b_id))
    list(pair.order_by("pk"))


def clean_body(body: str) -> str:
    body = (body or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if not body:
        raise ConversationError(_("Write a message first."))
    if len(body) > MESSAGE_MAX:
        raise ConversationError(
            _("A message can be at most %(max)d characters long.") % {"max": MESSAGE_MAX}
        )
    return body


def has_link(body: str) -> bool:
    return bool(LINK.search(body))


def stream_token(user) -> str:
    """What the push channel accepts instead of the session: signed, short-lived, and worth
    nothing but the names of this member's events (never a message's content)."""
    return signing.dumps(user.pk, salt=STREAM_TOKEN_SALT, compress=True)


def user_from_stream_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=STREAM_TOKEN_SALT, max_age=STREAM_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


# Models ----------------------------------------------------------------------------------


class ConversationQuerySet(models.QuerySet):
    def between(self, a_id: int, b_id: int):
        low, high = _pair(a_id, b_id)
        return self.filter(user_low_id=low, user_high_id=high)


class Conversation(models.Model):
    """One per pair of members, stored with the lower user id first (the check constraint fixes
    the order, so the unique constraint forbids a second conversation either way)."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        REQUEST = "request", _("Message request")
        IGNORED = "ignored", _("Ignored request")

    # SET_NULL: a deleted account leaves the other member's copy, its messages "deleted".
    user_low = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    user_high = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Bumped by every change either member may see (message, edit, deletion, read mark): the
    # polling fallback compares it and answers 204 when nothing changed.
    version = models.PositiveIntegerField(default=1)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(fields=["user_low", "user_high"], name="conversation_pair"),
            models.CheckConstraint(
                condition=Q(user_low__lt=F("user_high")), name="conversation_ordered_no_self"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["active", "request", "ignored"]),
                name="conversation_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_low_id} ✉ {self.user_high_id}"

    def get_absolute_url(self) -> str:
        return reverse("connections:conversation", args=[self.pk])

    def other_id(self, user_id: int) -> int | None:
        return self.user_high_id if self.user_low_id == user_id else self.user_low_id

    def is_request_to(self, user_id: int) -> bool:
        return self.state != self.State.ACTIVE and self.started_by_id != user_id

    # Writing -------------------------------------------------------------------------------

    @classmethod
    def reach(cls, sender, recipient) -> str:
        """How sender may write to recipient: "blocked", "connected", "group" (a message
        request) or "none"; one query."""
        from connections.models import Connection

        row = (
            User.objects.filter(pk=recipient.pk)
            .annotate(
                blocked=Exists(Block.objects.between(sender.pk, recipient.pk)),
                connected=Exists(Connection.objects.between(sender.pk, recipient.pk)),
                shared=Exists(
                    Membership.objects.filter(
                        user_id=recipient.pk,
                        group__memberships__user_id=sender.pk,
                    )
                ),
            )
            .values("blocked", "connected", "shared")
            .first()
        )
        if row is None or row["blocked"]:
            return "blocked"
        if row["connected"]:
            return "connected"
        return "group" if row["shared"] else "none"

    @classmethod
    def daily_cap_for(cls, user) -> int:
        new_account = timezone.now() - user.date_joined < timedelta(
            days=settings.CONNECTIONS_NEW_ACCOUNT_DAYS
        )
        return settings.TALK_DAILY_CAP_NEW if new_account else settings.TALK_DAILY_CAP

    @classmethod
    def start(cls, sender, recipient, body: str) -> "tuple[Conversation, Message]":
        """Write to a member: into the conversation the two already have, or a new one (a
        message request if they are not connected but share a group)."""
        if not may_write(sender):
            raise ConversationError(_("Your account cannot send messages at the moment."))
        if sender.pk == recipient.pk:
            raise ConversationError(_("You cannot write to yourself."))
        body = clean_body(body)
        with transaction.atomic():
            _lock_pair(sender.pk, recipient.pk)
            existing = cls.objects.between(sender.pk, recipient.pk).first()
            if existing is not None:
                return existing, existing.post(sender, body)
            reach = cls.reach(sender, recipient)
            if reach in ("blocked", "none") or not recipient.is_active:
                raise ConversationError(
                    _(
                        "You can write to your connections, and send one message request to "
                        "members of your groups."
                    )
                )
            since = timezone.now() - timedelta(days=1)
            if cls.objects.filter(started_by=sender, created_at__gte=since).count() >= (
                cls.daily_cap_for(sender)
            ):
                raise ConversationError(
                    _("You have started enough conversations for today: try again tomorrow.")
                )
            state = cls.State.ACTIVE if reach == "connected" else cls.State.REQUEST
            first_ever = not cls.objects.filter(started_by=sender).exists()
            if state == cls.State.REQUEST and first_ever and has_link(body):
                raise ConversationError(
                    _("Your first message request cannot contain links. Introduce yourself.")
                )
            low, high = _pair(sender.pk, recipient.pk)
            try:
                with transaction.atomic():
                    conversation = cls.objects.create(
                        user_low_id=low, user_high_id=high, started_by=sender, state=state
                    )
            except IntegrityError:
                # Only reachable without the locks above; the constraint keeps it one.
                existing = cls.objects.between(sender.pk, recipient.pk).get()
                return existing, existing.post(sender, body)
            Participant.objects.bulk_create(
                [
                    Participant(conversation=conversation, user=sender, other=recipient),
                    Participant(conversation=conversation, user=recipient, other=sender),
                ]
            )
            return conversation, conversation.post(sender, body)

    def post(self, sender, body: str) -> "Message":
        """Add a message; the caller may hold the pair's lock. Refuses blocked pairs, a second
        message before a request is accepted, and members who may not write."""
        if not may_write(sender):
            raise ConversationError(_("Your account cannot send messages at the moment."))
        body = clean_body(body)
        other_id = self.other_id(sender.pk)
        with transaction.atomic():
            # The conversation row is the lock that orders its messages and state changes.
            conversation = Conversation.objects.select_for_update().get(pk=self.pk)
            if sender.pk not in (conversation.user_low_id, conversation.user_high_id):
                raise ConversationError(_("This conversation is not yours."))
            if other_id is None or Block.objects.between(sender.pk, other_id).exists():
                raise ConversationError(_("You cannot write in this conversation any more."))
            if conversation.state != self.State.ACTIVE:
                if conversation.started_by_id == sender.pk:
                    if conversation.messages.exists():
                        raise ConversationError(_("Your message request is waiting for an answer."))
                else:
                    # Replying to a request accepts it.
                    conversation._set_state(self.State.ACTIVE)
            message = Message.objects.create(conversation=conversation, sender=sender, body=body)
            now = message.created_at
            Conversation.objects.filter(pk=self.pk).update(version=F("version") + 1)
            # Both sides in one statement: the sender has read (and received) their own words.
            Participant.objects.filter(conversation=conversation).update(
                last_message_id=message.pk,
                last_activity_at=now,
                archived=False,
                read_up_to=Case(
                    When(user=sender, then=Value(message.pk)),
                    default=F("read_up_to"),
                    output_field=models.BigIntegerField(),
                ),
                delivered_up_to=Case(
                    When(user=sender, then=Value(message.pk)),
                    default=F("delivered_up_to"),
                    output_field=models.BigIntegerField(),
                ),
            )
            # A new unread stretch for the reader starts its one email's countdown; later
            # messages of the same stretch cost no outbox row.
            stretch_started = Participant.objects.filter(
                conversation=conversation, user_id=other_id, unread_since__isnull=True
            ).update(unread_since=now)
            if stretch_started and conversation.state != self.State.IGNORED:
                OutboxTask.enqueue(
                    "connections.tasks.email_unread_conversation",
                    conversation.pk,
                    other_id,
                    key=f"talk-unread:{conversation.pk}:{other_id}",
                )
            announce(conversation.pk, sender.pk, other_id, badge=True)
        self.state = conversation.state
        return message

    def _set_state(self, state: str) -> None:
        Conversation.objects.filter(pk=self.pk).update(state=state, version=F("version") + 1)
        self.state = state

    def answer_request(self, user, accept: bool) -> bool:
        """The recipient accepts or ignores a message request; the sender is never told of an
        ignore (their side keeps looking pending)."""
        wanted = self.State.ACTIVE if accept else self.State.IGNORED
        if accept and not may_write(user):
            raise ConversationError(_("Your account cannot send messages at the moment."))
        changed = (
            Conversation.objects.filter(
                pk=self.pk, state__in=[self.State.REQUEST, self.State.IGNORED]
            )
            .exclude(started_by=user)
            .filter(Q(user_low=user) | Q(user_high=user))
            .exclude(state=wanted)
            .update(state=wanted, version=F("version") + 1)
        )
        if changed:
            self.state = wanted
            if accept:
                announce(self.pk, user.pk, self.other_id(user.pk), badge=False)
        return bool(changed)


class ParticipantQuerySet(models.QuerySet):
    def of(self, user):
        """The member's sides they may see: not across a block either way, and not a request
        they ignored (the sender's side of an ignored request keeps looking pending)."""
        return (
            self.filter(user=user)
            .exclude(block_between_exists(user.pk, "other_id"))
            .exclude(Q(conversation__state="ignored") & ~Q(conversation__started_by=user))
        )

    def unread(self):
        return self.filter(Q(last_message_id__gt=F("read_up_to")) | Q(marked_unread=True))

    def badge_for(self, user):
        """What the navigation badge counts: unread conversations, muted ones aside."""
        return self.of(user).unread().filter(muted=False)


class Participant(models.Model):
    """A member's side of a conversation: what they read, archived or muted."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_sides"
    )
    other = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    last_message_id = models.BigIntegerField(default=0)
    last_activity_at = models.DateTimeField(default=timezone.now)
    read_up_to = models.BigIntegerField(default=0)
    delivered_up_to = models.BigIntegerField(default=0)
    marked_unread = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    muted = models.BooleanField(default=False)
    # The first message still unread (None when all is read), and whether the one email about
    # this unread stretch went out: the conditional UPDATE on both makes it one email.
    unread_since = models.DateTimeField(null=True, blank=True)
    unread_emailed = models.BooleanField(default=False)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation participant")
        verbose_name_plural = _("conversation participants")
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="participant_unique"),
        ]
        indexes = [
            models.Index(
                fields=["user", "archived", "-last_activity_at"], name="participant_inbox_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"

    @property
    def is_unread(self) -> bool:
        return self.marked_unread or self.last_message_id > self.read_up_to

    def mark_read(self, up_to: int) -> bool:
        """Read everything up to message `up_to`; tells the other side (read receipts)."""
        if self.read_up_to >= up_to and not self.marked_unread:
            return False  # as loaded: nothing to write (the page costs no UPDATE)
        changed = (
            Participant.objects.filter(pk=self.pk)
            .filter(Q(read_up_to__lt=up_to) | Q(marked_unread=True))
            .update(
                read_up_to=Greatest(F("read_up_to"), up_to),
                delivered_up_to=Greatest(F("delivered_up_to"), up_to),
                marked_unread=False,
                unread_since=None,
                unread_emailed=False,
            )
        )
        if changed:
            self.read_up_to = max(self.read_up_to, up_to)
            self.delivered_up_to = max(self.delivered_up_to, up_to)
            self.marked_unread = False
            Conversation.objects.filter(pk=self.conversation_id).update(version=F("version") + 1)
            announce(self.conversation_id, self.user_id, self.other_id, badge=False)
        return bool(changed)

    def set_flag(self, **flags) -> None:
        Participant.objects.filter(pk=self.pk).update(**flags)
        for name, value in flags.items():
            setattr(self, name, value)

    @classmethod
    def mark_delivered(cls, user) -> int:
        """Everything that reached the member's inbox or badge is delivered; the senders see
        it change."""
        sides = list(
            cls.objects.of(user)
            .filter(delivered_up_to__lt=F("last_message_id"))
            .values_list("pk", "conversation_id", "other_id")
        )
        if not sides:
            return 0
        cls.objects.filter(pk__in=[pk for pk, _c, _o in sides]).update(
            delivered_up_to=F("last_message_id")
        )
        Conversation.objects.filter(pk__in=[c for _p, c, _o in sides]).update(
            version=F("version") + 1
        )
        for _pk, conversation_id, other_id in sides:
            announce(conversation_id, user.pk, other_id, badge=False)
        return len(sides)

    @classmethod
    def deliver_to(cls, user) -> None:
        """mark_delivered(), skipped while the member's generation is the one under which it
        last ran: every message to them (announce()) and every change to what they may read
        (a block, their own writes) starts a new one. With Redis down it always runs."""
        generation_key = generation_keys(user.pk)[1]
        checked_key = f"delivered-at:{user.pk}"
        found = cache.get_many([generation_key, checked_key])
        generation = found.get(generation_key, "0")
        if found.get(checked_key) == generation:
            return
        cls.mark_delivered(user)
        cache.set(checked_key, generation, 3600)

    def email_if_still_unread(self) -> bool:
        """The outbox task's work: one email per unread stretch, 15 minutes in. Raises
        RetryLater until then."""
        if self.unread_since is None or self.unread_emailed or self.muted:
            return False
        due = self.unread_since + UNREAD_EMAIL_AFTER
        if timezone.now() < due:
            raise RetryLater(due)
        user = self.user
        with transaction.atomic():
            claimed = Participant.objects.filter(
                pk=self.pk, unread_since=self.unread_since, unread_emailed=False, muted=False
            ).update(unread_emailed=True)
            frequency = message_email_frequency(user) if claimed else EmailFrequency.OFF
            if frequency == EmailFrequency.OFF:
                return False
            other = self.other
            if frequency != EmailFrequency.IMMEDIATELY:
                # A line in the member's next digest (the digest reads these notifications).
                Notification.send(
                    user,
                    "conversation-unread",
                    gettext_noop("%(name)s wrote to you and the conversation is still unread."),
                    {"name": other.name if other else ""},
                    url=reverse("connections:conversation", args=[self.conversation_id]),
                    email_kind=EmailKind.MESSAGES,
                    mentions_me=True,
                )
                return True
            with translation.override(user.language):
                context = {
                    "member": user,
                    "other_name": other.name if other else _("A former member"),
                    "url": settings.SITE_URL.rstrip("/")
                    + reverse("connections:conversation", args=[self.conversation_id]),
                }
                message = EmailMultiAlternatives(
                    subject=str(
                        _("[Gilda] %(name)s wrote to you") % {"name": context["other_name"]}
                    ),
                    body=render_to_string("connections/email/unread_conversation.txt", context),
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[user.email],
                    headers=unsubscribe_headers(user.pk, EmailKind.MESSAGES),
                )
            OutgoingEmail.queue(message)
        return True


class MessageQuerySet(models.QuerySet):
    def visible(self):
        return self.order_by("-pk")


class Message(models.Model):
    """Plain text (rendered escaped, links made clickable). A deleted message keeps its row so
    the conversation keeps its shape; its text is gone."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), MESSAGE_MAX), name="message_body_max"
            ),
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=True) | Q(body=""), name="message_deleted_empty"
            ),
        ]
        indexes = [models.Index(fields=["conversation", "-id"], name="message_conversation_idx")]

    def __str__(self) -> str:
        return f"{self.sender_id}: {self.body[:40]}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None or self.sender_id is None

    def can_edit(self, user) -> bool:
        return (
            self.sender_id == user.pk
            and not self.is_deleted
            and timezone.now() - self.created_at <= EDIT_WINDOW
            and may_write(user)
        )

    def edit(self, user, body: str) -> bool:
        body = clean_body(body)
        cutoff = timezone.now() - EDIT_WINDOW
        changed = Message.objects.filter(
            pk=self.pk, sender=user, deleted_at__isnull=True, created_at__gte=cutoff
        ).update(body=body, edited_at=timezone.now())
        if changed:
            self.body = body
            self._touch(user.pk)
        return bool(changed)

    def delete_for_both(self, user) -> bool:
        changed = Message.objects.filter(pk=self.pk, sender=user, deleted_at__isnull=True).update(
            body="", deleted_at=timezone.now()
        )
        if changed:
            self.body = ""
            self._touch(user.pk)
        return bool(changed)

    def _touch(self, user_id: int) -> None:
        Conversation.objects.filter(pk=self.conversation_id).update(version=F("version") + 1)
        conversation = Conversation.objects.only("user_low", "user_high").get(
            pk=self.conversation_id
        )
        announce(self.conversation_id, user_id, conversation.other_id(user_id), badge=False)


class MessagingSettings(models.Model):
    """A member's messaging choices. Read receipts are reciprocal: off means you neither send
    nor see them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="messaging_settings",
    )
    read_receipts = models.BooleanField(_("read receipts"), default=True)

    class Meta:
        verbose_name = _("messaging settings")
        verbose_name_plural = _("messaging settings")

    def __str__(self) -> str:
        return str(self.user_id)

    @classmethod
    def receipts_on(cls, *user_ids: int) -> bool:
        """True when none of these members turned read receipts off (one query)."""
        return not cls.objects.filter(user_id__in=user_ids, read_receipts=False).exists()


def unread_count_subquery(user_ref="user_id"):
    return Subquery(
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"), pk__gt=OuterRef("read_up_to")
        )
        .exclude(sender_id=OuterRef(user_ref))
        .order_by()
        .values("conversation_id")
        .annotate(n=models.Count("pk"))
        .values("n")[:1]
    )


# Reports to staff ---------------------------------------------------------------------------


def evidence_of(messages) -> list[dict]:
    """The messages as a report carries them: copied, so staff read them without reading the
    conversation, and they stay as reported."""
    return [
        {
            "id": message.pk,
            "sender_id": message.sender_id,
            "sender": message.sender.name if message.sender_id else "",
            "sent_at": message.created_at.isoformat(),
            "body": message.body,
        }
        for message in messages
        if not message.is_deleted
    ]


def report_message(user, message: "Message", *, reason: str, note: str = ""):
    """Report one message the other member sent; staff get the message, nothing around it."""
    if message.sender_id is None or message.sender_id == user.pk or message.is_deleted:
        raise ConversationError(_("Only a message the other member sent can be reported."))
    return report_to_staff(
        user,
        message.sender,
        target_type=MESSAGE,
        target_id=message.pk,
        reason=reason,
        note=note,
        evidence=evidence_of([message]),
    )


def report_conversation(user, conversation: Conversation, *, reason: str, note: str = ""):
    """Report the conversation: its latest REPORTED_MESSAGES messages go to staff with it."""
    other_id = conversation.other_id(user.pk)
    other = User.objects.filter(pk=other_id).first() if other_id else None
    if other is None:
        raise ConversationError(_("The other member left Gilda."))
    latest = (
        Message.objects.filter(conversation=conversation, deleted_at__isnull=True)
        .exclude(sender=None)
        .select_related("sender")
        .order_by("-pk")[:REPORTED_MESSAGES]
    )
    return report_to_staff(
        user,
        other,
        target_type=CONVERSATION,
        target_id=conversation.pk,
        reason=reason,
        note=note,
        evidence=evidence_of(reversed(list(latest))),
    )


def forget_account(user) -> int:
    """Account deletion: the member's messages lose their text, leaving "message deleted"."""
    return Message.objects.filter(sender=user).update(body="", deleted_at=timezone.now())


# The push channel: best effort, never a side effect to keep -------------------------------

CHANNEL_PREFIX = "talk:u:"


def announce(conversation_id: int, actor_id: int, other_id: int | None, *, badge: bool) -> None:
    """After commit, tell both members' open pages that the conversation changed (and the
    other member's badge). Only names of events travel; pages fetch what they may see."""
    events = {actor_id: [f"conv-{conversation_id}"]}
    # Their kept pages that show conversations (the inbox: config/page_cache.py) are read
    # again; those kept under their standing or circle generation show none.
    forget_activity(actor_id, other_id)
    if other_id is not None:
        events[other_id] = [f"conv-{conversation_id}"] + (["badge"] if badge else [])
    transaction.on_commit(lambda: publish_events(events))


_redis = None


def _client():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
        )
    return _redis


def publish_events(events: dict[int, list[str]]) -> None:
    """Never raises: without Redis the pages poll, and lose nothing but speed."""
    if not settings.REDIS_URL:
        return
    try:
        pipe = _client().pipeline(transaction=False)
        for user_id, names in events.items():
            pipe.publish(f"{CHANNEL_PREFIX}{user_id}", " ".join(names))
        pipe.execute()
    except Exception as error:  # noqa: BLE001 - the push is a hint; polling covers a loss
        logger.warning("Could not publish conversation events: %s", error)
