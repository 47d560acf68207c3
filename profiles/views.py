"""The identity layer's own pages: language choice, the notification centre, the suspension
notice and the Partita IVA check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, remembering the choice on the member for emails."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and translation.check_for_language(language):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = request.user.notifications.all()
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    template = "profiles/notifications.html"
    if request.htmx:
        template += "#notification-list"
    return render(request, template, {"page": page})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(request.user.notifications.all(), pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    target = notification.url
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "notification_list"
    return redirect(target or "notification_list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    request.user.notifications.unread().update(read_at=timezone.now())
    return redirect("notification_list")


@require_GET
def suspension_notice(request: HttpRequest) -> HttpResponse:
    """Why a suspended member was logged out (RefuseSuspended put it in the session)."""
    notice = request.session.get("suspension")
    if notice is None:
        return redirect("home")
    return render(request, "profiles/suspended.html", {"notice": notice}, status=403)


@login_required
@require_POST
def verify_vat(request: HttpRequest) -> HttpResponse:
    """Check a Partita IVA's format and check digit; the number stays private."""
    try:
        request.user.verify_vat(request.POST.get("vat_number", ""))
    except ValueError:
        messages.error(
            request,
            _("This is not a valid Partita IVA: check the 11 digits and try again."),
        )
    else:
        messages.success(
            request,
            _(
                "Partita IVA checked: format and check digit are valid. "
                "The badge is on your profile."
            ),
        )
    return redirect(request.user.get_absolute_url())
