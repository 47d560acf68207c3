from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
