"""Error pages in the site's layout, in the member's language, without database access.

They render without a request context, so no context processor runs: no session or user
lookup, no notification counts. That keeps them working when the database is the problem:
an uncaught OperationalError or InterfaceError (PostgreSQL restarting, the pool unable to
connect) becomes a 503 with Retry-After instead of a 500.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def render_error(request: HttpRequest, status: int) -> HttpResponse:
    context = {
        "status": status,
        "csp_nonce": get_nonce(request) or "",
        "csrf_token": get_token(request),
    }
    response = HttpResponse(render_to_string(f"{status}.html", context), status=status)
    if status in (429, 503):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return render_error(request, 400)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return render_error(request, 403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render_error(request, 404)


def too_many_requests(request: HttpRequest) -> HttpResponse:
    return render_error(request, 429)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls the 500 handler inside its except block: the exception is at hand.
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        logger.warning("Database unavailable: answering 503 for %s", request.path)
        return render_error(request, 503)
    return render_error(request, 500)
