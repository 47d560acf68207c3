"""The navigation badges, for every page: they count notifications and connection requests,
so they live in the top layer."""

import functools
import hashlib

from django.conf import settings
from django.db import connection
from django.db.models import Count, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.translation import get_language

from config.page_cache import member_generations, own_part
from connections.conversations import stream_token
from connections.models import ConnectionRequest, Participant
from profiles.models import User

# A user id no row has: the badges' SQL is compiled once for it, then run for each member.
SENTINEL_USER_ID = -7_777_777


def badge_counts_query(user):
    """The three badges as one query: unread notifications, connection requests to answer and
    unread conversations (each the count of the queryset the page behind the badge lists)."""

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


@functools.cache
def compiled_badge_query(vendor: str) -> tuple[str, tuple]:
    """badge_counts_query's SQL, compiled once per process and database vendor. Building and
    compiling it cost 4.8 ms of every logged-in page (running it, 0.8 ms). Its parameters
    must be the user id and constants: a time or anything else per request would be frozen
    here, so it is refused."""
    sql, params = badge_counts_query(User(pk=SENTINEL_USER_ID)).query.sql_with_params()
    for param in params:
        if not isinstance(param, (str, int)):
            raise TypeError(f"the badge query cannot be compiled once: parameter {param!r}")
    return sql, params


class NavCounts:
    """The navigation badges: unread notifications, connection requests to answer and unread
    conversations, read together in one query, and only if a page shows them."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def counts(self) -> dict:
        sql, params = compiled_badge_query(connection.vendor)
        params = [
            self.user.pk if type(param) is int and param == SENTINEL_USER_ID else param
            for param in params
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return {"unread": 0, "incoming": 0, "conversations": 0}
        return dict(zip(("unread", "incoming", "conversations"), row, strict=True))


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
