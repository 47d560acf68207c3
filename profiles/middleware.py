"""Suspended members are logged out on their next request, whichever session it comes from."""

from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils import timezone


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
