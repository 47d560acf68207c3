"""Reports that act: filing a report on a question, answer, comment, event or profile, hiding
content after enough distinct reporters, telling the moderators, the review queue and its
decisions.

The report rows are profiles.Report (one table for every reportable thing, so a new kind only
needs an entry in URL_KINDS, load_target and a decide branch). Group content and events are
reviewed by the group's moderators (scope "group:<id>"); profiles and private messages by
staff (scope ""). The layer above (connections) files its message reports as MEMBER_KINDS:
the card shows the member reported and the messages copied into the report, never the
conversation itself.
"""

from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from groups.models.events import Event
from groups.models.groups import Group, GroupActionError, Membership, Seat
from groups.models.moderation import ModerationLog
from groups.models.qa import Post
from groups.models.qa_records import Comment, content_withdrawn
from profiles.models import Notification, OutboxTask, Report, User
from profiles.models.trust import FULL_WEIGHT, HALF_WEIGHT, hide_threshold

POST = "groups.post"
COMMENT = "groups.comment"
PROFILE = "profiles.user"
EVENT = "groups.event"
MESSAGE = "connections.message"
CONVERSATION = "connections.conversation"
# Reviewed by staff, about a member: the card shows the member and the attached evidence.
MEMBER_KINDS = {PROFILE, MESSAGE, CONVERSATION}
# The URL word of each reviewable kind (/gruppi/segnalazioni/<word>/<id>/).
URL_KINDS = {
    "post": POST,
    "commento": COMMENT,
    "profilo": PROFILE,
    "evento": EVENT,
    "messaggio": MESSAGE,
    "conversazione": CONVERSATION,
}
KIND_WORDS = {kind: word for word, kind in URL_KINDS.items()}


class Decision:
    KEEP = "keep"
    REMOVE = "remove"
    BAN = "ban"
    SUSPEND = "suspend"
    CHOICES = [
        (KEEP, _("Keep it (show it again)")),
        (REMOVE, _("Remove it (an event: cancel it)")),
        (BAN, _("Remove it and ban the author from the group")),
        (SUSPEND, _("Remove it and suspend the author (staff)")),
    ]


def owner_id_of(item) -> int | None:
    """Who a reported thing belongs to: a post's or comment's author, an event's organiser,
    the member themselves."""
    if isinstance(item, Event):
        return item.organiser_id
    if isinstance(item, User):
        return item.pk
    return item.author_id


def target_type_of(item) -> str:
    if isinstance(item, Post):
        return POST
    if isinstance(item, Comment):
        return COMMENT
    if isinstance(item, Event):
        return EVENT
    raise TypeError(f"not reportable: {item!r}")


def reporter_weight(user) -> int:
    """Half for members younger than ACCOUNTS_NEW_DAYS or who never wrote anything."""
    if user.is_newcomer():
        return HALF_WEIGHT
    wrote = (
        Post.objects.filter(author=user).exists() or Comment.objects.filter(author=user).exists()
    )
    return FULL_WEIGHT if wrote else HALF_WEIGHT


def counting_reports(item, group: Group):
    """Open reports on the item whose reporters still count: in good standing and still
    holding a seat in the group (a removed or banned reporter stops counting)."""
    seated = Membership.objects.filter(group_id=group.pk, user_id=OuterRef("reporter_id"))
    return (
        Report.objects.open().about(target_type_of(item), item.pk).counting().filter(Exists(seated))
    )


def report_content(item, group: Group, user, *, reason: str, note: str = "", seat=None):
    """File a report on a post or comment of `group`; hide it once enough members reported it.

    The item's row is locked first, so reports arriving together are counted one after the
    other and the item is hidden exactly once (race-tested on PostgreSQL)."""
    if item.author_id == user.pk:
        raise GroupActionError(_("You cannot report what you wrote."))
    if item.deleted_at is not None:
        raise GroupActionError(_("This was already removed."))
    Post._participant(group, user, seat)
    model = type(item)
    target_type = target_type_of(item)
    weight = reporter_weight(user)
    with transaction.atomic():
        model.objects.select_for_update().only("pk").get(pk=item.pk)
        report, created = Report.file(
            user,
            target_type=target_type,
            target_id=item.pk,
            target_owner_id=item.author_id,
            scope=group.notification_scope,
            reason=reason,
            note=note,
            weight=weight,
        )
        if created:
            if Report.objects.open().about(target_type, item.pk).count() == 1:
                OutboxTask.enqueue(
                    "groups.tasks.notify_moderators_of_report", target_type, item.pk, "reported"
                )
            if counting_reports(item, group).weight() >= hide_threshold():
                _hide(item, group)
    return report


def _hide(item, group: Group) -> bool:
    hidden = (
        type(item)
        .objects.filter(pk=item.pk, hidden_at__isnull=True, deleted_at__isnull=True)
        .update(hidden_at=timezone.now())
    )
    if hidden:
        content_withdrawn.send(type(item))
        item.hidden_at = timezone.now()
        author = User.objects.filter(pk=item.author_id).first() if item.author_id else None
        group.log(
            None,
            ModerationLog.Action.HIDE,
            author,
            str(_("Hidden after reports, pending review")),
            automatic=True,
        )
        OutboxTask.enqueue(
            "groups.tasks.notify_moderators_of_report", target_type_of(item), item.pk, "hidden"
        )
    return bool(hidden)


def report_event(event: Event, user, *, reason: str, note: str = "", seat=None) -> Report:
    """Report an event to its group's moderators (anyone who may take part but its organiser).
    Events are not hidden by reports: a moderator decides, and cancelling tells attendees."""
    if event.organiser_id == user.pk:
        raise GroupActionError(_("You cannot report your own event."))
    Post._participant(event.group, user, seat)
    with transaction.atomic():
        report, created = Report.file(
            user,
            target_type=EVENT,
            target_id=event.pk,
            target_owner_id=event.organiser_id,
            scope=event.group.notification_scope,
            reason=reason,
            note=note,
            weight=reporter_weight(user),
        )
        if created and Report.objects.open().about(EVENT, event.pk).count() == 1:
            OutboxTask.enqueue(
                "groups.tasks.notify_moderators_of_report", EVENT, event.pk, "reported"
            )
    return report


def report_to_staff(
    user,
    member,
    *,
    target_type: str = PROFILE,
    target_id: int | None = None,
    reason: str,
    note: str = "",
    evidence: list[dict] | None = None,
) -> Report:
    """Report a member to staff: their profile, or (from the layer above) private messages,
    copied into the report as evidence."""
    if member.pk == user.pk:
        raise GroupActionError(_("You cannot report yourself."))
    if target_type not in MEMBER_KINDS:
        raise ValueError(f"not reported to staff: {target_type}")
    target_id = member.pk if target_id is None else target_id
    with transaction.atomic():
        report, created = Report.file(
            user,
            target_type=target_type,
            target_id=target_id,
            target_owner_id=member.pk,
            scope="",
            reason=reason,
            note=note,
            weight=reporter_weight(user),
            evidence=evidence,
        )
        if created and Report.objects.open().about(target_type, target_id).count() == 1:
            OutboxTask.enqueue(
                "groups.tasks.notify_moderators_of_report", target_type, target_id, ""
            )
    return report


def report_member(user, member, *, reason: str, note: str = "") -> Report:
    """Report a profile to staff."""
    return report_to_staff(user, member, reason=reason, note=note)


def load_target(target_type: str, target_id: int):
    """The reported thing with what its card needs, or None if it is gone."""
    if target_type == POST:
        return (
            Post.objects.select_related("group", "author", "question").filter(pk=target_id).first()
        )
    if target_type == COMMENT:
        return Comment.objects.select_related("post__group", "author").filter(pk=target_id).first()
    if target_type == EVENT:
        return Event.objects.select_related("group", "organiser").filter(pk=target_id).first()
    if target_type == PROFILE:
        return User.objects.filter(pk=target_id).first()
    if target_type in MEMBER_KINDS:
        # Private messages: staff see the member and what the reports carry, nothing more.
        owner = (
            Report.objects.about(target_type, target_id)
            .exclude(target_owner=None)
            .values("target_owner_id")[:1]
        )
        return User.objects.filter(pk__in=owner).first()
    return None


def group_of(item) -> Group | None:
    if isinstance(item, (Post, Event)):
        return item.group
    if isinstance(item, Comment):
        return item.post.group
    return None


def notify_moderators_of_report(target_type: str, target_id: int, event: str) -> int:
    """Tell the reviewers once per event: a group's moderators (never the author), or staff
    for a profile. The message names neither the reporters nor their number."""
    item = load_target(target_type, target_id)
    if item is None:
        return 0
    group = group_of(item)
    cycle = (
        Report.objects.open()
        .about(target_type, target_id)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if cycle is None:
        return 0
    key = f"{target_type}:{target_id}:{cycle}:{event}"
    if group is None:
        reviewers = User.objects.filter(is_staff=True, is_active=True)
        if target_type == PROFILE:
            message = gettext_noop("A member's profile was reported: review it.")
        else:
            message = gettext_noop("Private messages were reported: review them.")
        params, url, scope = {"report": key}, reverse("groups:review"), ""
    else:
        reviewers = User.objects.filter(
            memberships__group=group,
            memberships__role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR],
        ).exclude(pk=owner_id_of(item) or 0)
        if target_type == EVENT:
            message = gettext_noop("An event in %(group)s was reported: review it.")
        elif event == "hidden":
            message = gettext_noop(
                "Content in %(group)s was hidden after several reports: review it."
            )
        else:
            message = gettext_noop("Content in %(group)s was reported: review it.")
        params = {"group": group.name, "report": key}
        url = reverse("groups:reports", args=[group.slug])
        scope = group.notification_scope
    told = set(
        Notification.objects.filter(kind="report", params__report=key).values_list(
            "recipient_id", flat=True
        )
    )
    sent = 0
    for reviewer in reviewers:
        if reviewer.pk in told:
            continue
        Notification.send(
            reviewer, "report", message, params, url=url, scope=scope, email=event == "hidden"
        )
        sent += 1
    return sent


# The review queue ---------------------------------------------------------------------------


def review_scopes(user, group: Group | None = None) -> list[str] | None:
    """The report scopes the user reviews: their moderated groups (or one), and for staff
    everything (None)."""
    if group is not None:
        return [group.notification_scope]
    if user.is_staff:
        return None
    ids = Membership.objects.filter(
        user=user, role__in=[Membership.Role.OWNER, Membership.Role.MODERATOR]
    ).values_list("group_id", flat=True)
    return [f"group:{pk}" for pk in ids]


def open_targets(user, group: Group | None = None):
    """One row per reported thing the user reviews, oldest first: target_type, target_id,
    scope, reports (how many), since. Reports about the user themselves go to others."""
    reports = Report.objects.open().exclude(target_owner=user)
    scopes = review_scopes(user, group)
    if scopes is not None:
        reports = reports.in_scopes(scopes)
    return (
        reports.values("target_type", "target_id", "scope")
        .annotate(reports=Count("pk"), since=Min("created_at"))
        .order_by("since", "target_type", "target_id")
    )


def open_target_count(user, group: Group | None = None) -> int:
    """How many reported things wait for the user's review (for a home or group page)."""
    return open_targets(user, group).count()


def cards_for(rows) -> list[dict]:
    """The queue's cards for a page of open_targets() rows, in a fixed number of queries:
    posts, comments, profiles, and the reasons (never the reporters)."""
    rows = list(rows)
    ids = {POST: set(), COMMENT: set(), PROFILE: set(), EVENT: set()}
    for row in rows:
        ids.setdefault(row["target_type"], set()).add(row["target_id"])
    items = {}
    if ids[POST]:
        for post in Post.objects.select_related("group", "author", "question").filter(
            pk__in=ids[POST]
        ):
            items[POST, post.pk] = post
    if ids[COMMENT]:
        for comment in Comment.objects.select_related("post__group", "author").filter(
            pk__in=ids[COMMENT]
        ):
            items[COMMENT, comment.pk] = comment
    if ids[EVENT]:
        for event in Event.objects.select_related("group", "organiser").filter(pk__in=ids[EVENT]):
            items[EVENT, event.pk] = event
    reasons: dict[tuple, dict] = {}
    notes: dict[tuple, list] = {}
    evidence: dict[tuple, dict] = {}
    owners: dict[tuple, int] = {}
    if rows:
        wanted = Report.objects.open().filter(
            target_type__in=list(ids), target_id__in=[row["target_id"] for row in rows]
        )
        for target_type, target_id, reason, note, owner_id, attached in wanted.values_list(
            "target_type", "target_id", "reason", "note", "target_owner_id", "evidence"
        ):
            key = (target_type, target_id)
            tally = reasons.setdefault(key, {})
            tally[reason] = tally.get(reason, 0) + 1
            if note:
                notes.setdefault(key, []).append(note)
            for message in attached or []:
                sent_at = parse_datetime(str(message.get("sent_at") or ""))
                evidence.setdefault(key, {})[message.get("id")] = {**message, "sent_at": sent_at}
            if owner_id and target_type in MEMBER_KINDS - {PROFILE}:
                owners[key] = owner_id
    wanted_members = ids[PROFILE] | set(owners.values())
    if wanted_members:
        members = User.objects.in_bulk(wanted_members)
        for pk in ids[PROFILE]:
            if pk in members:
                items[PROFILE, pk] = members[pk]
        for key, owner_id in owners.items():
            if owner_id in members:
                items[key] = members[owner_id]
    labels = dict(Report.Reason.choices)
    cards = []
    for row in rows:
        key = (row["target_type"], row["target_id"])
        item = items.get(key)
        cards.append(
            {
                "kind": row["target_type"],
                "word": KIND_WORDS.get(row["target_type"], ""),
                "id": row["target_id"],
                "item": item,
                "group": group_of(item) if item is not None else None,
                "reports": row["reports"],
                "since": row["since"],
                "reasons": [
                    (labels.get(reason, reason), n)
                    for reason, n in sorted(reasons.get(key, {}).items())
                ],
                "notes": notes.get(key, []),
                "evidence": sorted(
                    evidence.get(key, {}).values(), key=lambda message: message.get("id") or 0
                ),
                "about_member": row["target_type"] in MEMBER_KINDS,
            }
        )
    return cards


# Decisions ----------------------------------------------------------------------------------


def decide(
    target_type: str, item, decision: str, *, by, seat: Seat | None, target_id: int | None = None
) -> bool:
    """Apply a reviewer's decision on a reported thing and close its reports; every decision
    goes into the group's moderation log. False if another reviewer decided first.

    `target_id` is the reported thing's id where `item` is not the thing itself (a message
    report's item is the member who sent it)."""
    group = group_of(item)
    staff = by.is_staff
    if decision == Decision.SUSPEND and not staff:
        raise GroupActionError(_("Only staff can suspend a member."))
    if group is None and decision not in (Decision.KEEP, Decision.SUSPEND):
        raise GroupActionError(_("Choose keep or suspend for a member."))
    if group is not None and not (seat and seat.can_moderate):
        raise GroupActionError(_("Only the group's moderators review its reports."))
    owner_id = owner_id_of(item)
    if owner_id == by.pk:
        raise GroupActionError(_("Reports about you are decided by someone else."))
    if group is None:
        author = item
    elif isinstance(item, Event):
        author = item.organiser if owner_id else None
    else:
        author = item.author if owner_id else None
    outcome = {
        Decision.KEEP: Report.Decision.KEPT,
        Decision.REMOVE: Report.Decision.REMOVED,
        Decision.BAN: Report.Decision.BANNED,
        Decision.SUSPEND: Report.Decision.SUSPENDED,
    }[decision]
    target_id = item.pk if target_id is None else target_id
    with transaction.atomic():
        if not Report.resolve_all(target_type, target_id, by=by, decision=outcome):
            return False
        if group is None:
            if decision == Decision.SUSPEND:
                reason = _("Reported profile") if target_type == PROFILE else _("Reported messages")
                item.suspend(by=by, reason=str(reason))
            return True
        if isinstance(item, Event):
            _decide_event(item, decision, group, by=by, organiser=author)
            return True
        if decision == Decision.KEEP:
            type(item).objects.filter(pk=item.pk).update(hidden_at=None)
            item.hidden_at = None
            group.log(by, ModerationLog.Action.KEEP, author)
            return True
        item.soft_delete(by=by)
        group.log(by, ModerationLog.Action.DELETE, author)
        if author is None:
            return True
        if decision == Decision.BAN:
            group.ban(author, by=by, reason=str(_("Reported content removed")))
        elif decision == Decision.SUSPEND:
            author.suspend(by=by, reason=str(_("Reported content removed")))
            group.log(by, ModerationLog.Action.SUSPEND, author)
    return True


def _decide_event(event: Event, decision: str, group: Group, *, by, organiser) -> None:
    """Keep: the reports are closed and logged. Remove: the event is cancelled, and everyone
    who replied is told. Ban or suspend: cancelled too, and the organiser is banned from the
    group or suspended."""
    if decision == Decision.KEEP:
        group.log(by, ModerationLog.Action.KEEP, organiser, event.title[:500])
        return
    event.cancel(by=by, message=str(_("Cancelled by the moderators after reports.")))
    if organiser is None:
        return
    if decision == Decision.BAN:
        group.ban(organiser, by=by, reason=str(_("Reported event cancelled")))
    elif decision == Decision.SUSPEND:
        organiser.suspend(by=by, reason=str(_("Reported event cancelled")))
        group.log(by, ModerationLog.Action.SUSPEND, organiser)
