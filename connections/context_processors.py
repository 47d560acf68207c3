"""The navigation badges, for every page: they count notifications and connection requests,
so they live in the top layer."""

from django.db import connection
from django.http import HttpRequest
from django.utils.functional import cached_property

from connections.models import ConnectionRequest
from profiles.models import Notification

# One round trip, and no queryset to build on every page (building the ORM version cost more
# than running it). Each count reads a partial index: notification_unread_idx and
# connreq_incoming_idx. Keep the conditions equal to Notification.objects.unread() and
# ConnectionRequest.objects.incoming(user); tests/connections/test_nav_counts.py checks them.
_COUNTS_SQL = (
    f"SELECT (SELECT COUNT(*) FROM {Notification._meta.db_table} "  # nosec B608  # noqa: S608
    "WHERE recipient_id = %s AND read_at IS NULL), "
    f"(SELECT COUNT(*) FROM {ConnectionRequest._meta.db_table} "
    "WHERE recipient_id = %s AND status = %s)"
)


class NavCounts:
    """The navigation badges: unread notifications and connection requests to answer,
    read together in one query, and only if a page shows them."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def counts(self) -> dict:
        pk = self.user.pk
        with connection.cursor() as cursor:
            cursor.execute(_COUNTS_SQL, [pk, pk, ConnectionRequest.Status.PENDING.value])
            unread, incoming = cursor.fetchone()
        return {"unread": unread, "incoming": incoming}


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that never show the badges run no query for them.
    nav = NavCounts(user)
    return {
        "unread_notifications": lambda: nav.counts["unread"],
        "incoming_connection_requests": lambda: nav.counts["incoming"],
    }
