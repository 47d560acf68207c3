"""Site-wide request and response rules that no single view should have to remember."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails

from config.views import healthz


def healthz_before_host_check(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Answer /healthz ahead of every other middleware.

    Container health checks probe 127.0.0.1, a host that ALLOWED_HOSTS rightly refuses; this
    path reads no host, no session and no cookie, so it is safe to answer for any Host header.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz":
            return healthz(request)
        return get_response(request)

    return middleware


class FullPageDetails(HtmxDetails):
    """A request htmx sent, answered as if it had not: false in `if request.htmx`."""

    def __bool__(self) -> bool:
        return False


class HtmxHistoryMiddleware:
    """Pages answer htmx with a fragment and a browser with the full page, from one URL.

    - `Vary: HX-Request`, so no cache (the browser's included) hands a fragment to a plain
      navigation, or a full page to htmx.
    - htmx's history-restore request (Back after an hx-push-url, with the page no longer in
      its cache) must get the full page: base.html turns historyRestoreAsHxRequest off, and a
      restore request that still says HX-Request (an older htmx) is answered in full anyway.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        htmx = getattr(request, "htmx", None)
        if htmx and htmx.history_restore_request:
            request.htmx = FullPageDetails(request)
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response
