"""Rate limits on every write, counted in the database from the rows the writes leave behind.

No counter lives in Redis: the rows themselves (questions, answers, comments, votes,
requests, reports) are the count, so a Redis outage neither lifts nor breaks a limit, and
the limit is a true sliding window. Each check is one indexed query that reads at most
`limit` timestamps of one member.

Each kind has two limits in settings.RATE_LIMITS: (count, seconds) for new accounts
(younger than ACCOUNTS_NEW_DAYS and with no earned trust, such as an accepted answer) and
for the rest. The upper layers call enforce() from their model methods, and tell this layer
what earns trust through register_trust_signal(), since it knows no posts.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

_trust_signals: list[Callable] = []


def register_trust_signal(earned: Callable) -> None:
    """earned(user) -> bool: something that lifts a young account out of the strict limits."""
    if earned not in _trust_signals:
        _trust_signals.append(earned)


class RateLimited(Exception):
    """A write refused for now; `retry_at` says when it will be accepted again."""

    def __init__(self, kind: str, retry_at: datetime):
        self.kind = kind
        self.retry_at = retry_at
        super().__init__(self.message)

    @property
    def retry_after(self) -> int:
        """Seconds until the retry, for the Retry-After header."""
        return max(1, int((self.retry_at - timezone.now()).total_seconds()) + 1)

    @property
    def message(self) -> str:
        local = timezone.localtime(self.retry_at)
        when = date_format(local, "TIME_FORMAT")
        if local.date() != timezone.localdate():
            when = date_format(local, "SHORT_DATETIME_FORMAT")
        return _(
            "You have done this too often for now: you can try again at %(when)s. "
            "Nothing you wrote is lost."
        ) % {"when": when}

    def __str__(self) -> str:
        with translation.override(translation.get_language()):
            return self.message


def is_new_account(user) -> bool:
    if user.date_joined <= timezone.now() - timedelta(days=settings.ACCOUNTS_NEW_DAYS):
        return False
    return not any(earned(user) for earned in _trust_signals)


def limit_for(user, kind: str) -> tuple[int, int]:
    new, established = settings.RATE_LIMITS[kind]
    return new if is_new_account(user) else established


def enforce(user, kind: str, history=None, field: str = "created_at") -> None:
    """Raise RateLimited if the member already did `kind` `count` times in the window.

    `history` is a queryset of the member's past writes of this kind (the reports of this
    layer are found by default); `field` is their timestamp."""
    if not settings.RATE_LIMITS_ENABLED or user.is_staff:
        return
    if history is None:
        history = _default_history(user, kind)
    count, seconds = limit_for(user, kind)
    since = timezone.now() - timedelta(seconds=seconds)
    # The count-th most recent write inside the window, if there is one: the member may write
    # again when it leaves the window.
    oldest = list(
        history.filter(**{f"{field}__gt": since})
        .order_by(f"-{field}")
        .values_list(field, flat=True)[count - 1 : count]
    )
    if oldest:
        raise RateLimited(kind, oldest[0] + timedelta(seconds=seconds))


def _default_history(user, kind: str):
    from profiles.models.trust import Report

    if kind == "report":
        return Report.objects.filter(reporter=user)
    raise ValueError(f"no default history for {kind!r}")


def rate_limited(response, limited: "RateLimited | None", request):
    """The view's response (the form, with what the member typed and the error), as a 429
    with Retry-After for htmx when a limit refused the write; a plain form error otherwise."""
    if limited is not None and request.headers.get("HX-Request"):
        response.status_code = 429
        response["Retry-After"] = str(limited.retry_after)
    return response
