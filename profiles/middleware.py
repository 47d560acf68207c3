"""Suspended members are logged out on their next request, whichever session it comes from;
a rate-limited write nobody caught is a 429."""

from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from profiles.ratelimits import RateLimited


def refuse_suspended(get_response):
    def middleware(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_suspended:
            notice = {
                "reason": user.suspension_reason,
                "until": (
                    date_format(timezone.localtime(user.suspended_until), "DATETIME_FORMAT")
                    if user.suspended_until
                    else ""
                ),
            }
            logout(request)
            request.session["suspension"] = notice
            url = reverse("suspension_notice")
            if request.headers.get("HX-Request"):
                response = redirect(url)
                response.status_code = 204
                response["HX-Redirect"] = url
                return response
            return redirect(url)
        return get_response(request)

    return middleware


class RateLimitedAs429:
    """A write refused by a rate limit that no view caught (the admin, a future API): a 429
    with the reason and Retry-After, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RateLimited):
            return None
        response = HttpResponse(str(exception), status=429, content_type="text/plain")
        response["Retry-After"] = str(exception.retry_after)
        return response
