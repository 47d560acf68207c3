"""Error pages in the site's layout, in the member's language, without database access.

They render without a request context, so no context processor runs: no session or user
lookup, no notification counts. That keeps them working when the database is the problem:
an uncaught error that means the database cannot be reached (PostgreSQL restarting, the pool
unable to connect, a connection closed under us) becomes a 503 with Retry-After instead of a
500. Any other database error (a SQL error, a deadlock, a statement timeout, anything SQLite
says) stays a 500: it is a bug to fix, not an outage to wait out, and Django logs it as one.
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

# PostgreSQL SQLSTATEs that mean "this connection is gone", besides class 08 (connection
# exception): admin_shutdown, crash_shutdown, cannot_connect_now (starting up, shutting down).
CONNECTION_LOST_SQLSTATES = {"57P01", "57P02", "57P03"}


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error` (as Django raises it) means the database cannot be reached, as opposed
    to a query that failed on a database that is up."""
    if isinstance(error, InterfaceError):
        return True  # Django's "connection already closed", psycopg's closed connection
    if not isinstance(error, OperationalError):
        return False
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    cause = error.__cause__
    if not isinstance(cause, psycopg.OperationalError):
        return False  # SQLite, or an OperationalError raised by hand
    # Raised by the client, not the server (refused, reset, pool timeout): no SQLSTATE.
    sqlstate = cause.sqlstate
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in CONNECTION_LOST_SQLSTATES


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
    if database_unavailable(sys.exc_info()[1]):
        logger.warning("Database unavailable: answering 503 for %s", request.path)
        return render_error(request, 503)
    return render_error(request, 500)
