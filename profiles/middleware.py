"""Suspended members are logged out on their next request, whichever session it comes from;
a rate-limited write nobody caught is a 429."""

from django.contrib.auth import logout
from django.contrib.auth.middleware import get_user
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import SimpleLazyObject

from profiles.ratelimits import RateLimited


class MemberSuspended(Exception):  # noqa: N818 - a signal to the middleware, not an error
    pass


class RefuseSuspended:
    """The first time a request reads request.user and finds a suspended member, the member is
    logged out and sent to the suspension notice. Requests that never read the user (a 404, a
    public page's cached parts) cost no query for this check."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        def checked_user():
            user = get_user(request)
            if user.is_authenticated and user.is_suspended:
                raise MemberSuspended
            return user

        request.user = SimpleLazyObject(checked_user)
        try:
            return self.get_response(request)
        except MemberSuspended:
            return self.refuse(request)

    def process_exception(self, request, exception):
        if isinstance(exception, MemberSuspended):
            return self.refuse(request)
        return None

    def refuse(self, request):
        user = get_user(request)
        request.user = user
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
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)


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
