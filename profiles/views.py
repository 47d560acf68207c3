"""The identity layer's own pages: language choice, the notification centre and its badge,
email preferences and one-click unsubscribe, the suspension notice and the Partita IVA check."""

from django.contrib import messages
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Max, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from config.ids import parse_id
from config.page_cache import kept_for_member
from profiles.forms import EmailPreferencesForm
from profiles.models import (
    EmailFrequency,
    EmailKind,
    EmailPreference,
    Notification,
    User,
    offered_language,
    read_unsubscribe_token,
)
from profiles.models.notifications import mark_hidden

NOTIFICATIONS_TEMPLATE = "profiles/notifications.html"
NOTIFICATION_FILTERS = {"tutte": "all", "non-lette": "unread", "menzioni": "mentions"}
# htmx stops polling on this status (the member logged out meanwhile).
STOP_POLLING = 286


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, remembering the choice on the member: their emails are written
    in it, and their logins on any browser switch the site to it (profiles.adapters)."""
    response = django_set_language(request)
    language = offered_language(request.POST.get("language"))
    if request.user.is_authenticated and language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


# The notification centre ------------------------------------------------------------------


@login_required
@require_GET
# Kept under the member's standing generation (config.page_cache.generation_keys), not the one
# their posts, votes and comments renew: what they post changes nothing here. A new
# notification changes the badges in the key, a decision or a seat their standing or circle.
@kept_for_member(standing=True)
def notification_list(request: HttpRequest) -> HttpResponse:
    chosen = request.GET.get("filtro", "tutte")
    if chosen not in NOTIFICATION_FILTERS:
        chosen = "tutte"
    notifications = request.user.notifications.all()
    if chosen == "non-lette":
        notifications = notifications.unread()
    elif chosen == "menzioni":
        notifications = notifications.mentions()
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    page.object_list = mark_hidden(request.user, page.object_list)
    template = NOTIFICATIONS_TEMPLATE
    if request.htmx:
        template += "#notification-list"
    context = {
        "page": page,
        "filter": chosen,
        "filters": NOTIFICATION_FILTERS,
        "today": timezone.localdate().isoformat(),
    }
    return render(request, template, context)


def _back_to_list(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.get("filtro", "")
    if chosen in NOTIFICATION_FILTERS:
        return redirect(f"{reverse('notification_list')}?filtro={chosen}")
    return redirect("notification_list")


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(request.user.notifications.all(), pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    (notification,) = mark_hidden(request.user, [notification])
    target = "" if notification.hidden else notification.url
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "notification_list"
    return redirect(target or "notification_list")


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read (or unread again, with `unread=1`)."""
    notification = get_object_or_404(request.user.notifications.all(), pk=pk)
    notification.read_at = None if request.POST.get("unread") == "1" else timezone.now()
    notification.save(update_fields=["read_at"])
    if request.htmx:
        (notification,) = mark_hidden(request.user, [notification])
        response = render(
            request, f"{NOTIFICATIONS_TEMPLATE}#notification", {"notification": notification}
        )
        response["HX-Trigger"] = "notifications-changed"
        return response
    return _back_to_list(request)


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    request.user.notifications.unread().update(read_at=timezone.now())
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return _back_to_list(request)


@require_GET
def notification_badge(request: HttpRequest) -> HttpResponse:
    """The unread badge, polled by the navigation. One query (the session aside): the member's
    password hash, to check the session as Django's auth does, and the unread count with the
    newest unread id, which make the ETag: an unchanged badge is a bodiless 304."""
    user_id = request.session.get(SESSION_KEY)
    if parse_id(user_id) is None:
        return HttpResponse(status=STOP_POLLING)
    unread = (
        Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient")
    )
    row = (
        User.objects.filter(pk=user_id, is_active=True)
        .values_list(
            "password",
            Subquery(unread.annotate(n=Count("pk")).values("n")[:1]),
            Subquery(unread.annotate(last=Max("pk")).values("last")[:1]),
        )
        .first()
    )
    if row is None or not constant_time_compare(
        request.session.get(HASH_SESSION_KEY, ""), User(password=row[0]).get_session_auth_hash()
    ):
        return HttpResponse(status=STOP_POLLING)
    count, last = row[1] or 0, row[2] or 0
    etag = f'"unread-{user_id}-{count}-{last}"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        # No request context: the context processors would load the user (a query).
        response = HttpResponse(
            render_to_string("profiles/notifications.html#badge", {"unread_count": count})
        )
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Cookie, Accept-Language, HX-Request"
    return response


# Email preferences and unsubscribe ---------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@kept_for_member
def email_preferences(request: HttpRequest) -> HttpResponse:
    form = EmailPreferencesForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your email preferences are saved."))
        return redirect("email_preferences")
    return render(request, "profiles/email_preferences.html", {"form": form})


@csrf_exempt  # the signed token is the authority: mail providers POST it with no cookie (RFC 8058)
@require_http_methods(["GET", "POST"])
def email_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners must not unsubscribe anyone); POST unsubscribes, whether from
    the page or from the mail provider's one-click button; the page then offers an undo."""
    parsed = read_unsubscribe_token(token)
    member = None
    if parsed is not None:
        member = User.objects.filter(pk=parsed[0], is_active=True).first()
    if member is None:
        return render(request, "profiles/unsubscribe.html", {"invalid": True}, status=400)
    kind = EmailKind(parsed[1])
    context = {"token": token, "kind": kind, "member": member}
    if request.method == "GET":
        return render(request, "profiles/unsubscribe.html", context)
    undo = request.POST.get("undo", "")
    if undo:
        if undo not in EmailFrequency.values:
            return render(request, "profiles/unsubscribe.html", {"invalid": True}, status=400)
        EmailPreference.choose(member, kind, undo)
        return render(request, "profiles/unsubscribe.html", context | {"restored": undo})
    previous = EmailPreference.choose(member, kind, EmailFrequency.OFF)
    if previous == EmailFrequency.OFF:
        previous = EmailPreference.default_for(kind)
    return render(
        request, "profiles/unsubscribe.html", context | {"done": True, "previous": previous}
    )


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
