"""Network facts that pages of lower layers show, pushed in by name from their templates:
{% load network %} in a groups template needs no import of connections."""

from django import template
from django.db.models import Q

from connections.models import Connection
from groups.models import Membership
from profiles.models import Profile

register = template.Library()

MUTUAL_MEMBERS_SHOWN = 5


def mutual_member_connections(join_requests, group) -> dict[int, list]:
    """Per join request, the requester's connections who are already members of the group,
    in one query for the page. Requesters who don't show their connections to all members
    (Profile.connections_visibility) are left out."""
    everyone = Profile.ConnectionsVisibility.MEMBERS
    # A member without a profile row has the default: connections shown to all members.
    shown = {
        join_request.user_id: join_request.pk
        for join_request in join_requests
        if getattr(getattr(join_request.user, "profile", None), "connections_visibility", everyone)
        == everyone
    }
    if not shown:
        return {}
    members = Membership.objects.filter(group=group).values("user_id")
    rows = (
        Connection.objects.filter(
            Q(user_low_id__in=list(shown), user_high_id__in=members)
            | Q(user_high_id__in=list(shown), user_low_id__in=members)
        )
        .select_related("user_low", "user_high")
        .order_by("pk")
    )
    found: dict[int, list] = {}
    for row in rows:
        requester, member = (
            (row.user_low, row.user_high)
            if row.user_low_id in shown
            else (row.user_high, row.user_low)
        )
        found.setdefault(shown[requester.pk], []).append(member)
    return {
        pk: sorted(people, key=lambda person: person.name)[:MUTUAL_MEMBERS_SHOWN]
        for pk, people in found.items()
    }


@register.simple_tag
def attach_mutual_members(join_requests, group) -> str:
    """For the moderator queue: set join_request.mutual_members on each card (one query)."""
    mutual = mutual_member_connections(join_requests, group)
    for join_request in join_requests:
        join_request.mutual_members = mutual.get(join_request.pk, [])
    return ""
