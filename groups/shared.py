"""Which kind of reader a member is on the group pages members share (config/page_cache.py's
@shared_for_members), and the group pages' own parts.

A plain member of a group sees its page, its threads, its events as every plain member does;
so does a member outside an open group who never asked to join it. Everyone else (moderators,
owners, staff, a member with a request waiting or declined, a banned member; on a thread, its
asker, anyone who answered, commented, voted or watches it; a member with a block either way)
gets the page rendered for them: the readers below return None.

What they need to know of the member is read once and kept under the member's generation
(reader_state): their seats, requests and bans by group address, the threads they took part
in, their replies to events (and whether they were marked present) and the events they
organise, whether they have a block, and their public place. Every change to these starts a
new generation: the member's own writes (the forget_after_writes middleware) and the receivers
in ConnectionsConfig.ready (a seat, a request decided, a ban, a block, a reply moved up from the
waitlist, a member marked present, a profile saved).
"""

from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _

from config.compiled import CompiledQuery
from config.page_cache import forget_pages, member_state, own_part
from groups.models import (
    Ban,
    Comment,
    Event,
    Group,
    JoinRequest,
    Membership,
    Post,
    Rsvp,
    ThreadWatch,
    Vote,
)
from profiles.models import Block, Profile


def _rows(queryset, kind: str, key, extra=None):
    """(kind, key, extra) rows of `queryset`, as text, to be read in one UNION ALL."""
    return (
        queryset.order_by()
        .annotate(
            state_kind=Value(kind, output_field=CharField()),
            state_key=Cast(key, CharField()),
            state_extra=Cast(extra if extra is not None else Value(""), CharField()),
        )
        .values_list("state_kind", "state_key", "state_extra")
    )


def _reader_state_rows(user_id: int):
    requests = JoinRequest.objects.filter(user_id=user_id).exclude(
        status=JoinRequest.Status.APPROVED
    )
    parts = [
        _rows(
            Membership.objects.filter(user_id=user_id),
            "seat",
            F("group__slug"),
            Concat("role", Value(" "), "group__visibility", output_field=CharField()),
        ),
        _rows(requests, "request", F("group__slug"), F("status")),
        _rows(Ban.objects.filter(user_id=user_id), "ban", F("group__slug")),
        _rows(Post.objects.filter(author_id=user_id), "thread", Coalesce("question_id", "id")),
        _rows(
            Comment.objects.filter(author_id=user_id),
            "thread",
            Coalesce("post__question_id", "post_id"),
        ),
        _rows(
            Vote.objects.filter(user_id=user_id), "thread", Coalesce("post__question_id", "post_id")
        ),
        _rows(ThreadWatch.objects.filter(user_id=user_id), "thread", F("question_id")),
        _rows(
            Rsvp.objects.filter(user_id=user_id),
            "reply",
            F("event_id"),
            Case(When(attended_at__isnull=False, then=Value("attended")), default=F("answer")),
        ),
        _rows(Event.objects.filter(organiser_id=user_id), "organised", F("pk")),
        _rows(
            Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)), "block", F("pk")
        ),
        _rows(
            Profile.objects.filter(user_id=user_id),
            "place",
            F("public_latitude"),
            F("public_longitude"),
        ),
    ]
    return parts[0].union(*parts[1:], all=True)


# Read again after each of the member's writes: built and compiled once (its eleven parts
# cost more to build than to run).
READER_STATE = CompiledQuery(_reader_state_rows, "user")


def reader_state(user) -> dict:
    """What the group pages need to know of `user` to tell which reader they are, in one
    query."""
    state = {
        "roles": {},
        "closed": [],
        "asked": set(),
        "pending": set(),
        "banned": set(),
        "threads": set(),
        "replies": {},
        "organised": set(),
        "blocks": False,
        "place": None,
    }
    for row in READER_STATE.fetchall(user.pk):
        kind, key, extra = row["state_kind"], row["state_key"], row["state_extra"]
        if kind == "seat":
            role, visibility = extra.split(" ")
            state["roles"][key] = role
            if visibility == Group.Visibility.CLOSED:
                state["closed"].append(key)
        elif kind == "request":
            state["asked"].add(key)
            if extra == JoinRequest.Status.PENDING:
                state["pending"].add(key)
        elif kind == "ban":
            state["banned"].add(key)
        elif kind == "thread":
            state["threads"].add(int(key))
        elif kind == "reply":
            state["replies"][int(key)] = extra
        elif kind == "organised":
            state["organised"].add(int(key))
        elif kind == "block":
            state["blocks"] = True
        elif kind == "place" and key:
            state["place"] = (key, extra)
    state["closed"] = tuple(sorted(state["closed"]))
    return state


def state_of(request: HttpRequest) -> dict:
    return member_state(request, "groups", reader_state)


def group_reader(request: HttpRequest, slug: str, **kwargs) -> tuple | None:
    """("member",) for a plain member, ("outsider",) for a member who never asked to join and
    isn't banned; None for anyone whose page is their own."""
    if request.user.is_staff:
        return None
    state = state_of(request)
    role = state["roles"].get(slug)
    if role == Membership.Role.MEMBER:
        return ("member",)
    if role is None and slug not in state["asked"] and slug not in state["banned"]:
        return ("outsider",)
    return None


def thread_reader(request: HttpRequest, slug: str, pk: int) -> tuple | None:
    """group_reader's kind, unless the member took part in the thread or has a block (their
    votes, their posts, folded authors)."""
    kind = group_reader(request, slug)
    state = state_of(request)
    if kind is None or state["blocks"] or pk in state["threads"]:
        return None
    return kind


def event_reader(request: HttpRequest, slug: str, pk: int) -> tuple | None:
    """group_reader's kind and the member's reply (going, maybe, not going), unless they
    organise the event, wait on its waitlist (their place) or were marked present (the people
    they met)."""
    kind = group_reader(request, slug)
    state = state_of(request)
    if kind is None or pk in state["organised"]:
        return None
    reply = state["replies"].get(pk)
    if reply is None:
        return kind
    if reply in (Rsvp.Answer.GOING, Rsvp.Answer.MAYBE, Rsvp.Answer.NOT_GOING):
        return (*kind, reply)
    return None


def search_reader(request: HttpRequest) -> tuple | None:
    """Results across groups: the closed groups the member reads (a member with a block has
    results of their own)."""
    state = state_of(request)
    if request.user.is_staff or state["blocks"]:
        return None
    return ("reader", state["closed"])


def events_reader(request: HttpRequest) -> tuple | None:
    """The events list: the closed groups the member reads, their place (the distances), and
    with "only my groups" their groups."""
    if request.user.is_staff:
        return None
    state = state_of(request)
    mine = tuple(sorted(state["roles"])) if request.GET.get("miei") else ()
    return ("reader", state["closed"], state["place"], mine)


# The things each shared page shows (config.page_cache.forget_pages) ------------------------


def group_pages(slug: str, **kwargs) -> list[str]:
    return [f"group:{slug}"]


def thread_pages(slug: str, pk: int) -> list[str]:
    return [f"thread:{pk}"]


def event_pages(slug: str, pk: int) -> list[str]:
    return [f"event:{pk}", f"group:{slug}"]


def seat_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """A member joined, left or changed role: the group's page (its members) is read again.
    The address is read without loading the group, which a cascade may be deleting."""
    if not raw:
        slugs = Group.objects.filter(pk=instance.group_id).values_list("slug", flat=True)
        forget_pages(*(f"group:{slug}" for slug in slugs))


def reply_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    """A reply to an event: its page (seats left, attendees) and its group's are read again."""
    if not raw:
        slugs = Event.objects.filter(pk=instance.event_id).values_list("group__slug", flat=True)
        forget_pages(f"event:{instance.event_id}", *(f"group:{slug}" for slug in slugs))


def list_reader(request: HttpRequest) -> tuple:
    """The group list: the same for every member but for the pills ({% own "group-pill" %})."""
    return ("member",)


@own_part("group-pill")
def group_pill(request: HttpRequest, slug: str) -> str:
    """A group card's "you are a member" or "request pending", for this member. A list shows
    dozens: the pills are worked out once per request (they were a third of a kept list)."""
    pills = request.__dict__.get("_group_pills")
    if pills is None:
        pills = request._group_pills = _group_pills(request)
    return pills.get(slug, "")


def _group_pills(request: HttpRequest) -> dict[str, str]:
    if not request.user.is_authenticated:
        return {}
    state = state_of(request)
    pending = format_html('<small class="pill">{}</small>', _("Request pending"))
    member = format_html('<small class="pill">{}</small>', _("You are a member"))
    return dict.fromkeys(state["pending"], pending) | dict.fromkeys(state["roles"], member)
