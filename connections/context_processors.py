"""The navigation badges, for every page: they count notifications and connection requests,
so they live in the top layer."""

from django.conf import settings
from django.db.models import Count, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.functional import cached_property

from connections.conversations import stream_token
from connections.models import ConnectionRequest, Participant
from profiles.models import User


class NavCounts:
    """The navigation badges: unread notifications and connection requests to answer,
    read together in one query, and only if a page shows them."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def counts(self) -> dict:
        def count_of(queryset, field):
            return Coalesce(
                Subquery(queryset.order_by().values(field).annotate(n=Count("pk")).values("n")[:1]),
                0,
            )

        user = self.user
        return User.objects.filter(pk=user.pk).values(
            unread=count_of(user.notifications.unread(), "recipient"),
            incoming=count_of(ConnectionRequest.objects.incoming(user), "recipient"),
            conversations=count_of(Participant.objects.badge_for(user), "user"),
        ).first() or {"unread": 0, "incoming": 0, "conversations": 0}


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that never show the badges run no query for them.
    nav = NavCounts(user)
    return {
        "unread_notifications": lambda: nav.counts["unread"],
        "incoming_connection_requests": lambda: nav.counts["incoming"],
        "unread_conversations": lambda: nav.counts["conversations"],
        "talk_stream_url": lambda: (
            f"{settings.TALK_STREAM_URL}?t={stream_token(user)}" if settings.TALK_STREAM_URL else ""
        ),
        "talk_badge_poll": settings.TALK_POLL_SECONDS * 6,
    }
