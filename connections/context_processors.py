"""The navigation badges, for every page: they count notifications and connection requests,
so they live in the top layer."""

import hashlib

from django.conf import settings
from django.db.models import Count, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.translation import get_language

from config.compiled import CompiledQuery
from config.page_cache import member_generations, own_part
from connections.conversations import stream_token
from connections.models import ConnectionRequest, Participant
from profiles.models import User


def badge_counts_query(user_id: int):
    """The three badges as one query: unread notifications, connection requests to answer and
    unread conversations (each the count of the queryset the page behind the badge lists)."""
    user = User(pk=user_id)

    def count_of(queryset, field):
        return Coalesce(
            Subquery(queryset.order_by().values(field).annotate(n=Count("pk")).values("n")[:1]),
            0,
        )

    return User.objects.filter(pk=user.pk).values(
        unread=count_of(user.notifications.unread(), "recipient"),
        incoming=count_of(ConnectionRequest.objects.incoming(user), "recipient"),
        conversations=count_of(Participant.objects.badge_for(user), "user"),
    )[:1]


# Compiled once per process (config.compiled): building it cost 4.8 ms of every logged-in
# page, running it 0.8 ms.
BADGE_COUNTS = CompiledQuery(badge_counts_query, "user")


class NavCounts:
    """The navigation badges: unread notifications, connection requests to answer and unread
    conversations, read together in one query, and only if a page shows them."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def counts(self) -> dict:
        row = BADGE_COUNTS.fetchone(self.user.pk)
        if row is None:
            return {"unread": 0, "incoming": 0, "conversations": 0}
        return row


def nav_counts(request: HttpRequest) -> NavCounts:
    """The request's badges, read at most once whoever asks first (a view, or the page)."""
    if getattr(request, "_nav_counts", None) is None:
        request._nav_counts = NavCounts(request.user)
    return request._nav_counts


def badge_key(request: HttpRequest) -> str:
    """settings.MEMBER_PAGE_VARY: the badges every member page shows, as "3.1.0"."""
    return ".".join(map(str, nav_counts(request).counts.values()))


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that never show the badges run no query for them.
    nav = nav_counts(request)
    return {
        "unread_notifications": lambda: nav.counts["unread"],
        "incoming_connection_requests": lambda: nav.counts["incoming"],
        "unread_conversations": lambda: nav.counts["conversations"],
        "talk_stream_url": lambda: (
            f"{settings.TALK_STREAM_URL}?t={stream_token(user)}" if settings.TALK_STREAM_URL else ""
        ),
        "talk_badge_poll": settings.TALK_POLL_SECONDS * 6,
    }


def _nav_key(request: HttpRequest) -> str:
    """Everything the navigation shows of the member: who they are (their generation is new
    when their account is saved), their badges and the language."""
    parts = (request.user.pk, member_generations(request), badge_key(request), get_language())
    return "own-nav:" + hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


@own_part("nav", kept_under=_nav_key)
def member_nav(request: HttpRequest, arg: str) -> str:
    """The member's own links, name and badges in the navigation (base.html#member-nav)."""
    context = {"user": request.user, "csrf_token": get_token(request), **notifications(request)}
    return render_to_string("base.html#member-nav", context)


@own_part("stream")
def member_stream(request: HttpRequest, arg: str) -> str:
    """The push channel's address, with the member's own token (base.html's <body>)."""
    return escape(notifications(request)["talk_stream_url"]())
