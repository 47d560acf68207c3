"""A member's own pages (their network, their own profile), kept whole per member like their
home (connections/home_cache.py): under everyone's and the member's generations, the
navigation badges and the minute, for a minute at most.

These pages show what belongs to the member, so the member's generation covers them: it is
new at once when the member does anything through the site, and when others change what is
theirs (a request to them or from them decided, a connection made or removed, a block either
way, their seat in a group). What others do otherwise (a connection's new name, a suggestion
recomputed in the background) may lag by that minute. A page with a message to show, an htmx
request and anything but a GET always run the view.
"""

import functools
import time

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from config.page_cache import kept_page, page_key
from connections.context_processors import nav_counts
from connections.home_cache import generation_keys

PAGE_SECONDS = 60


def kept_for_member(view=None, *, only_if=None):
    """@kept_for_member, or @kept_for_member(only_if=lambda request, **kwargs: …) for a view
    whose other readers must always get the view (another member's profile)."""
    if view is None:
        return functools.partial(kept_for_member, only_if=only_if)

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if (
            request.method != "GET"
            or request.htmx
            or not user.is_authenticated
            or (only_if is not None and not only_if(request, **kwargs))
            or messages.get_messages(request)
        ):
            return view(request, *args, **kwargs)
        badges = tuple(nav_counts(request).counts.values())
        key = page_key(request, "member-page", user.pk, badges, int(time.time() // 60))
        return kept_page(
            request,
            key,
            generation_keys(user.pk),
            PAGE_SECONDS,
            lambda: view(request, *args, **kwargs),
        )

    return wrapped
