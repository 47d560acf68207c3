"""Site-wide response rules that no single view should have to remember."""

from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails


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
