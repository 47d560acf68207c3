"""Group views: browsing, creating and editing groups, joining and leaving."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from config.page_cache import cache_for_visitors, shared_for_members
from groups.forms import GroupForm, JoinRequestForm
from groups.fragments import prefetch_rows
from groups.models import (
    Group,
    GroupActionError,
    JoinRequest,
    Sector,
    cached_most_active_members,
)
from groups.models.reports import open_target_count
from groups.shared import group_pages, group_reader, list_reader
from groups.views.access import get_group_for_moderator, get_seat, require_verified
from profiles.ratelimits import RateLimited, rate_limited

GROUP_PAGE_SIZE = 24


def home_groups(user) -> dict:
    """The home page's groups: the member's own, then featured ones they are not in."""
    mine = []
    if user.is_authenticated:
        mine = list(
            Group.objects.of_member(user).select_related("sector").order_by("-member_count")[:6]
        )
    featured = (
        Group.objects.exclude(pk__in=[group.pk for group in mine])
        .select_related("sector")
        .order_by("-is_featured", "-member_count", "name")[:6]
    )
    # Moderators (and staff) see what waits for their review across their groups.
    reports = open_target_count(user) if user.is_authenticated else 0
    return {"my_groups": mine, "featured_groups": featured, "reports_to_review": reports}


@require_GET
@cache_for_visitors
@shared_for_members(list_reader)
def group_list(request: HttpRequest) -> HttpResponse:
    sectors = list(Sector.objects.all())
    sector = next((s for s in sectors if s.slug == request.GET.get("settore")), None)
    query = request.GET.get("q", "").strip()[:100]
    groups = (
        Group.objects.search(query)
        .select_related("sector")
        .order_by("-is_featured", "-member_count", "name")
    )
    if sector is not None:
        groups = groups.filter(sector=sector)
    page = Paginator(groups, GROUP_PAGE_SIZE).get_page(request.GET.get("pagina"))
    template = "groups/list.html"
    if request.htmx:
        template += "#results"
    context = {"page": page, "sectors": sectors, "sector": sector, "query": query}
    return render(request, template, context)


@login_required
@require_GET
def my_groups(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related("group__sector").order_by("group__name")
    pending = (
        JoinRequest.objects.pending()
        .filter(user=request.user)
        .select_related("group__sector")
        .order_by("-created_at")
    )
    return render(request, "groups/mine.html", {"memberships": memberships, "pending": pending})


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest) -> HttpResponse:
    require_verified(request)
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items()}
        try:
            group = Group.create_with_owner(request.user, **fields)
        except IntegrityError:
            form.add_error("slug", _("Another group already uses this address."))
        else:
            messages.success(request, _("Your group is ready. You are its owner."))
            return redirect(group)
    return render(request, "groups/form.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
@cache_for_visitors
@shared_for_members(group_reader, group_pages)
def group_detail(request: HttpRequest, slug: str) -> HttpResponse:
    seat = get_seat(request, slug)
    group, membership, readable = seat.group, seat.membership, seat.can_read
    if request.htmx and not readable:
        raise Http404
    user = request.user
    context = {
        "group": group,
        "membership": membership,
        "readable": readable,
        "can_moderate": seat.can_moderate,
    }
    if seat.can_moderate:
        context["open_reports"] = open_target_count(user, group)
    if membership is None and user.is_authenticated:
        context["pending_request"] = group.pending_request_of(user)
        context["is_banned"] = group.is_banned(user)
        context["retry_from"] = group.rejoin_allowed_from(user) if group.is_closed else None
    if readable:
        context["recent_members"] = group.memberships.select_related("user").order_by(
            "-joined_at", "-pk"
        )[:8]
        threads = group.posts.shown_to(seat).questions()
        context["recent_threads"] = list(
            threads.for_rows()
            .select_related("author")
            .with_accepted_flag()
            .order_by("-last_activity_at", "-pk")[:5]
        )
        for question in context["recent_threads"]:
            question.group = group
        prefetch_rows(context["recent_threads"])
        context["unanswered_count"] = threads.unanswered().count()
        context["active_members"] = cached_most_active_members(group)
        context["upcoming_events"] = list(group.events.upcoming().order_by("starts_at", "pk")[:3])
        context["can_create_event"] = seat.can_moderate or (
            membership is not None and group.members_create_events
        )
    template = "groups/detail.html"
    if request.htmx:
        template += "#inside"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, slug: str) -> HttpResponse:
    seat = get_group_for_moderator(request, slug)
    group = seat.group
    visibility = group.visibility
    form = GroupForm(
        request.POST or None, instance=group, can_change_visibility=seat.is_owner or seat.is_staff
    )
    if request.method == "POST" and form.is_valid():
        wanted = form.cleaned_data["visibility"]
        # The visibility goes through the model method: the owner's alone, and logged.
        group = form.save(commit=False)
        group.visibility = visibility
        group.save()
        if wanted != visibility:
            try:
                group.change_visibility(wanted, by=request.user)
            except GroupActionError as error:
                messages.error(request, str(error))
                return redirect(group)
        messages.success(request, _("Group updated."))
        return redirect(group)
    context = {"form": form, "group": group}
    return render(request, "groups/form.html", context, status=400 if form.errors else 200)


# Joining and leaving -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def group_join(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group.objects.select_related("sector"), slug=slug)
    require_verified(request)
    if group.memberships.filter(user=request.user).exists():
        messages.info(request, _("You are already a member of this group."))
        return redirect(group)
    if group.is_open:
        if request.method == "POST":
            try:
                group.join(request.user)
            except GroupActionError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("Welcome to %(group)s!") % {"group": group.name})
            return _back_to(request, group)
        return redirect(group)

    if group.pending_request_of(request.user):
        messages.info(request, _("Your request is waiting for the moderators."))
        return redirect(group)
    form = JoinRequestForm(request.POST or None, group=group)
    limited = None
    if request.method == "POST" and form.is_valid():
        try:
            group.request_to_join(
                request.user,
                answer=form.cleaned_data.get("answer", ""),
                note=form.cleaned_data.get("note", ""),
            )
        except GroupActionError as error:
            form.add_error(None, str(error))
        except RateLimited as error:
            form.add_error(None, str(error))
            limited = error
        else:
            messages.success(request, _("Request sent. The moderators will reply soon."))
            return _back_to(request, group)
    context = {
        "group": group,
        "form": form,
        "is_banned": group.is_banned(request.user),
        "retry_from": group.rejoin_allowed_from(request.user),
    }
    response = render(request, "groups/join.html", context, status=400 if form.errors else 200)
    return rate_limited(response, limited, request)


def _back_to(request: HttpRequest, group: Group) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(group.get_absolute_url())
    return redirect(group)


@login_required
@require_POST
def request_withdraw(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group, slug=slug)
    join_request = group.pending_request_of(request.user)
    if join_request is not None and join_request.withdraw():
        messages.success(request, _("Request withdrawn."))
    return _back_to(request, group)


@login_required
@require_POST
def group_leave(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group, slug=slug)
    try:
        left = group.leave(request.user)
    except GroupActionError as error:
        messages.error(request, str(error))
    else:
        if left:
            messages.success(request, _("You left %(group)s.") % {"group": group.name})
    return _back_to(request, group)
