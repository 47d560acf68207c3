"""Read side of the connections app: what a member sees of their network and of others'.

The write side (requests, connections, blocks) lives on the models; the suggestions engine
in suggestions.py. These helpers each run one query, so pages stay constant in queries.
"""

import functools
from dataclasses import dataclass

from django.db.models import Case, Count, Exists, OuterRef, Q, Subquery, Value, When, Window
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config.compiled import CompiledQuery, model_columns, model_from_row
from connections.models import (
    Block,
    Connection,
    ConnectionRequest,
    Dismissal,
    Suggestion,
    mutual_names,
)
from groups.models import Event
from profiles.models import Profile, User, block_between_exists

SUGGESTIONS_SHOWN = 20


def pending_request_exists(viewer_id: int, member_ref="pk") -> Exists:
    member = OuterRef(member_ref)
    return Exists(
        ConnectionRequest.objects.pending().filter(
            Q(sender_id=viewer_id, recipient_id=member)
            | Q(sender_id=member, recipient_id=viewer_id)
        )
    )


@dataclass(frozen=True)
class Relationship:
    """Where the viewer stands with a member: self, blocked (by the viewer), unavailable
    (blocked by the member: never said as such), connected, sent, received or none; with the
    open request, if any."""

    state: str
    request_id: int | None = None
    message: str = ""

    @property
    def is_connected(self) -> bool:
        return self.state == "connected"


def _relationship_row(viewer_id: int, member_id: int):
    pending = ConnectionRequest.objects.pending_between(viewer_id, member_id).order_by()
    # Both orders spelled out (not Connection.objects.between, which orders the ids in
    # Python): the query is compiled once for any two ids (config.compiled).
    connected = Connection.objects.filter(
        Q(user_low_id=viewer_id, user_high_id=member_id)
        | Q(user_low_id=member_id, user_high_id=viewer_id)
    )
    return (
        User.objects.filter(pk=member_id)
        .annotate(
            connected=Exists(connected),
            i_blocked=Exists(Block.objects.filter(blocker_id=viewer_id, blocked_id=member_id)),
            blocked_me=Exists(Block.objects.filter(blocker_id=member_id, blocked_id=viewer_id)),
            request_id=Subquery(pending.values("pk")[:1]),
            request_sender=Subquery(pending.values("sender_id")[:1]),
            request_message=Subquery(pending.values("message")[:1]),
        )
        .values(
            "connected",
            "i_blocked",
            "blocked_me",
            "request_id",
            "request_sender",
            "request_message",
        )
    )


RELATIONSHIP = CompiledQuery(_relationship_row, "viewer", "member")


def relationship(viewer, member) -> Relationship:
    """One query, compiled once: connection, blocks either way and the open request between
    the two."""
    if viewer.pk == member.pk:
        return Relationship("self")
    row = RELATIONSHIP.fetchone(viewer.pk, member.pk)
    if row is None:
        return Relationship("none")
    if row["i_blocked"]:
        return Relationship("blocked")
    if row["blocked_me"]:
        return Relationship("unavailable")
    if row["connected"]:
        return Relationship("connected")
    if row["request_id"] is not None:
        state = "sent" if row["request_sender"] == viewer.pk else "received"
        return Relationship(state, row["request_id"], row["request_message"] or "")
    return Relationship("none")


def connections_of(member_id: int, viewer_id: int | None = None):
    """The member's connections as users with their profile, by name; hides anyone blocked
    either way with the viewer."""
    users = (
        User.objects.filter(pk__in=Connection.objects.other_ids(member_id), is_active=True)
        .select_related("profile", "profile__sector")
        .order_by("display_name", "pk")
    )
    if viewer_id is not None:
        users = users.exclude(block_between_exists(viewer_id))
    return users


def first_with_total(users, limit: int) -> tuple[list, int]:
    """The first `limit` users and how many there are in all, in one query."""
    rows = list(users.annotate(total=Window(Count("pk")))[:limit])
    return rows, (rows[0].total if rows else 0)


# The profile page's lists of people (the member's connections, those in common with the
# viewer) are built and compiled once per process and length (config.compiled): building them
# cost more than running them (6.5 of a profile's 32 ms of CPU, measured on seed-large).


def _person_columns() -> list[str]:
    """A user's columns and their profile's, as select_related("profile") reads them."""
    return [*model_columns(User), *model_columns(Profile, "profile__")]


def people_from_rows(rows: list[dict]) -> list[User]:
    """The users of a compiled query's rows (_person_columns()), each with their profile."""
    people = []
    for row in rows:
        user = model_from_row(User, row)
        profile = model_from_row(Profile, row, "profile__")
        if profile is None:  # as select_related() leaves it: none, and no query to find out
            User.profile.related.set_cached_value(user, None)
        else:
            user.profile = profile
        people.append(user)
    return people


@functools.cache
def _first_connections(limit: int) -> CompiledQuery:
    def first_connections(member_id: int, viewer_id: int):
        users = connections_of(member_id, viewer_id).annotate(total=Window(Count("pk")))
        return users.values(*_person_columns(), "total")[:limit]

    return CompiledQuery(first_connections, "member", "viewer")


def first_connections_with_total(member_id: int, viewer_id: int, limit: int) -> tuple[list, int]:
    """first_with_total(connections_of(member_id, viewer_id), limit), compiled once."""
    rows = _first_connections(limit).fetchall(member_id, viewer_id)
    return people_from_rows(rows), (rows[0]["total"] if rows else 0)


def mutual_connections(viewer_id: int, member_id: int):
    return connections_of(member_id, viewer_id).filter(
        pk__in=Connection.objects.other_ids(viewer_id)
    )


def shows_own_connections(user) -> bool:
    """False for someone whose connections are theirs alone: never named as a mutual one."""
    profile = getattr(user, "profile", None)
    return profile is None or profile.connections_visibility != Profile.ConnectionsVisibility.NOBODY


def mutual_shown(viewer, profile: Profile, rel: Relationship, limit: int) -> tuple[list, int]:
    """Connections in common as the viewer may see them (Profile.connections_visibility): the
    count always; names only if the member shows their connections to the viewer, and never
    someone who shows their own connections to nobody. One query."""
    if not may_see_connections(viewer, profile, rel):
        row = MUTUAL_COUNT.fetchone(viewer.pk, profile.user_id)
        return [], (row["total"] if row else 0)
    rows = _first_mutual(limit).fetchall(viewer.pk, profile.user_id)
    people = people_from_rows([row for row in rows if not row["hides"]])
    return people, (rows[0]["total"] if rows else 0)


def _mutual_count(viewer_id: int, member_id: int):
    everyone = mutual_connections(viewer_id, member_id).order_by()
    return everyone.annotate(total=Window(Count("pk"))).values("total")[:1]


MUTUAL_COUNT = CompiledQuery(_mutual_count, "viewer", "member")


@functools.cache
def _first_mutual(limit: int) -> CompiledQuery:
    def first_mutual(viewer_id: int, member_id: int):
        hides = Case(
            When(profile__connections_visibility=Profile.ConnectionsVisibility.NOBODY, then=True),
            default=Value(False),
        )
        everyone = mutual_connections(viewer_id, member_id).annotate(
            hides=hides, total=Window(Count("pk"))
        )
        everyone = everyone.order_by("hides", "display_name", "pk")
        return everyone.values(*_person_columns(), "hides", "total")[:limit]

    return CompiledQuery(first_mutual, "viewer", "member")


def may_see_connections(viewer, profile: Profile, rel: Relationship) -> bool:
    """Profile.connections_visibility: all members, the member's connections, or only them."""
    if viewer.pk == profile.user_id:
        return True
    if rel.state in ("blocked", "unavailable"):
        return False
    match profile.connections_visibility:
        case Profile.ConnectionsVisibility.MEMBERS:
            return viewer.is_authenticated
        case Profile.ConnectionsVisibility.CONNECTIONS:
            return rel.is_connected
    return False


# Suggestions ------------------------------------------------------------------------------


def suggestions_for(user):
    """The member's stored suggestions, checked again at read time: the engine may lag
    behind a new connection, block, dismissal or request."""
    candidate = OuterRef("candidate_id")
    return (
        Suggestion.objects.filter(user=user, candidate__is_active=True)
        # Suspended members are never suggested (the engine may predate the suspension).
        .filter(candidate__in=User.objects.not_suspended())
        .exclude(candidate_id__in=Connection.objects.other_ids(user.pk))
        .exclude(block_between_exists(user.pk, "candidate_id"))
        .exclude(pending_request_exists(user.pk, "candidate_id"))
        .exclude(Exists(Dismissal.objects.filter(user=user, candidate_id=candidate)))
        .select_related("candidate__profile__sector")
        .order_by("rank", "pk")
    )


def _names(names: list[str], others: int) -> str:
    if others > 0:
        rest = ngettext("%(count)d other", "%(count)d others", others) % {"count": others}
        names = [*names, rest]
    if len(names) == 1:
        return names[0]
    return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def _met_at(events: int, title: str | None) -> str:
    if title is None:
        # The meetup's group is closed to the viewer now: it is never named.
        return ngettext(
            "You were both at %(count)d meetup", "You were both at %(count)d meetups", events
        ) % {"count": events}
    if events == 1:
        return _("You were both at “%(event)s”") % {"event": title}
    return ngettext(
        "You were both at “%(event)s” and %(count)d other meetup",
        "You were both at “%(event)s” and %(count)d other meetups",
        events - 1,
    ) % {"event": title, "count": events - 1}


def explain(suggestion: Suggestion, mutual: list, event_titles: dict | None = None) -> str:
    """ "3 connessioni in comune: Anna, Luca e 1 altro · Eravate presenti a “Aperitivo”
    · 2 gruppi in comune · Milano". event_titles: the titles of the meetups the viewer may
    still read, by id."""
    parts = []
    count = suggestion.mutual_count
    if count:
        text = ngettext(
            "%(count)d connection in common", "%(count)d connections in common", count
        ) % {"count": count}
        shown = [person.name for person in mutual[: min(2, count)]]
        if shown:
            text += ": " + _names(shown, count - len(shown))
        parts.append(text)
    if suggestion.shared_events:
        title = (event_titles or {}).get(suggestion.latest_shared_event_pk)
        parts.append(_met_at(suggestion.shared_events, title))
    if suggestion.shared_groups:
        parts.append(
            ngettext(
                "%(count)d group in common",
                "%(count)d groups in common",
                suggestion.shared_groups,
            )
            % {"count": suggestion.shared_groups}
        )
    profile = suggestion.candidate.profile
    # Only a city the candidate shows: a region-only member's city never appears.
    if suggestion.same_city and profile.shows_city and profile.city:
        parts.append(profile.city)
    if suggestion.same_sector and profile.sector_id:
        parts.append(profile.sector.localized_name)
    if suggestion.complementary:
        parts.append(_("can help with what you are looking for"))
    return " · ".join(parts)


def shared_event_titles(user, suggestions: list[Suggestion]) -> dict[int, str]:
    """The titles of the latest shared meetups that user may still read (one query, and
    none when no suggestion has a shared meetup): a closed group's meetup is never named to
    someone no longer inside it."""
    ids = {s.latest_shared_event_pk for s in suggestions if s.shared_events}
    if not ids:
        return {}
    return dict(Event.objects.readable_by(user).filter(pk__in=ids).values_list("pk", "title"))


def explained(user, suggestions) -> list[Suggestion]:
    """Attach .explanation to each suggestion. The mutual connections and the meetup it names
    are read now (a constant number of queries for the whole list), so they are always
    current."""
    suggestions = list(suggestions)
    names = mutual_names(user.pk, [s.candidate_id for s in suggestions if s.mutual_count])
    titles = shared_event_titles(user, suggestions)
    for suggestion in suggestions:
        # A suggestion is never a connection: the candidate's mutual ones are named only if
        # they show their connections to all members, and only those who show their own.
        shown = []
        if suggestion.candidate.profile.connections_visibility == (
            Profile.ConnectionsVisibility.MEMBERS
        ):
            shown = [u for u in names.get(suggestion.candidate_id, []) if shows_own_connections(u)]
        suggestion.explanation = explain(suggestion, shown, titles)
    return suggestions
