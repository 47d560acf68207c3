from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from groups.forms import BulkApproveForm, DecisionForm, GroupForm, JoinRequestForm, MemberActionForm
from groups.models import Group, GroupActionError, JoinRequest, Membership, Sector

QUEUE_PAGE_SIZE = 50
MEMBER_PAGE_SIZE = 50
GROUP_PAGE_SIZE = 24


# Access: one place per question ------------------------------------------------------------


def get_group_for_reader(request: HttpRequest, slug: str) -> tuple[Group, Membership | None]:
    """The group and the user's seat in it, or 404 if its inside is hidden from the user."""
    group = get_object_or_404(Group.objects.select_related("sector"), slug=slug)
    membership = group.membership_for(request.user)
    if not group.is_readable_by(request.user, membership):
        raise Http404
    return group, membership


def get_group_for_moderator(request: HttpRequest, slug: str) -> tuple[Group, Membership | None]:
    group, membership = get_group_for_reader(request, slug)
    if not (request.user.is_staff or (membership is not None and membership.is_moderator)):
        raise PermissionDenied
    return group, membership


def require_verified(request: HttpRequest) -> None:
    if not EmailAddress.objects.filter(user=request.user, verified=True).exists():
        raise PermissionDenied


def requester_group_count():
    """How many groups the requester is already in: a hint for moderators, in the same query."""
    seats = (
        Membership.objects.filter(user=OuterRef("user"))
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(seats), 0)


def mutual_member_connections(join_requests, group: Group) -> dict[int, list]:
    """Hook for the connections app: per join request, the requester's connections who are
    already members of the group. Empty until connections exist; the queue shows them."""
    return {}


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
    return {"my_groups": mine, "featured_groups": featured}


# Browsing ----------------------------------------------------------------------------------


@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    sectors = list(Sector.objects.all())
    sector = next((s for s in sectors if s.slug == request.GET.get("settore")), None)
    query = request.GET.get("q", "").strip()[:100]
    groups = (
        Group.objects.search(query)
        .select_related("sector")
        .with_membership_of(request.user)
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
def group_detail(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_object_or_404(Group.objects.select_related("sector"), slug=slug)
    membership = group.membership_for(request.user)
    readable = group.is_readable_by(request.user, membership)
    if request.htmx and not readable:
        raise Http404
    user = request.user
    context = {
        "group": group,
        "membership": membership,
        "readable": readable,
        "can_moderate": user.is_staff or (membership is not None and membership.is_moderator),
    }
    if membership is None and user.is_authenticated:
        context["pending_request"] = group.pending_request_of(user)
        context["is_banned"] = group.is_banned(user)
        context["retry_from"] = group.rejoin_allowed_from(user) if group.is_closed else None
    if readable:
        context["recent_members"] = group.memberships.select_related("user").order_by(
            "-joined_at", "-pk"
        )[:8]
    template = "groups/detail.html"
    if request.htmx:
        template += "#inside"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, slug: str) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    form = GroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        form.save()
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
    if request.method == "POST" and form.is_valid():
        try:
            group.request_to_join(
                request.user,
                answer=form.cleaned_data.get("answer", ""),
                note=form.cleaned_data.get("note", ""),
            )
        except GroupActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Request sent. The moderators will reply soon."))
            return _back_to(request, group)
    context = {
        "group": group,
        "form": form,
        "is_banned": group.is_banned(request.user),
        "retry_from": group.rejoin_allowed_from(request.user),
    }
    return render(request, "groups/join.html", context, status=400 if form.errors else 200)


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


# Inside the group --------------------------------------------------------------------------


@require_GET
def member_list(request: HttpRequest, slug: str) -> HttpResponse:
    group, membership = get_group_for_reader(request, slug)
    members = group.memberships.select_related("user").order_by("role", "joined_at", "pk")
    page = Paginator(members, MEMBER_PAGE_SIZE).get_page(request.GET.get("pagina"))
    context = {
        "group": group,
        "membership": membership,
        "page": page,
        "can_moderate": request.user.is_staff
        or (membership is not None and membership.is_moderator),
        "is_owner": request.user.is_staff or (membership is not None and membership.is_owner),
        "action_form": MemberActionForm(),
    }
    if context["can_moderate"]:
        context["bans"] = group.bans.select_related("user").order_by("-created_at")
    template = "groups/members.html"
    if request.htmx:
        template += "#member-list"
    return render(request, template, context)


@login_required
@require_POST
def member_action(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    group, membership = get_group_for_moderator(request, slug)
    target = get_object_or_404(group.memberships.select_related("user"), user_id=user_id)
    form = MemberActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid action."))
        return redirect("groups:members", group.slug)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    owner_only = action in ("promote", "demote", "transfer")
    if owner_only and not (request.user.is_staff or (membership and membership.is_owner)):
        raise PermissionDenied
    try:
        if action == "remove":
            group.remove_member(target, by=request.user, reason=reason)
        elif action == "ban":
            group.ban(target.user, by=request.user, reason=reason)
        elif action == "promote":
            group.set_role(target, Membership.Role.MODERATOR, by=request.user)
        elif action == "demote":
            group.set_role(target, Membership.Role.MEMBER, by=request.user)
        else:
            group.transfer_ownership(target, by=request.user)
    except GroupActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Done."))
    return redirect("groups:members", group.slug)


@login_required
@require_POST
def ban_lift(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    ban = get_object_or_404(group.bans.select_related("user"), user_id=user_id)
    group.unban(ban.user, by=request.user)
    messages.success(request, _("Ban lifted."))
    return redirect("groups:members", group.slug)


@login_required
@require_GET
def moderation_log(request: HttpRequest, slug: str) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    entries = group.moderation_log.select_related("actor", "target")[:200]
    return render(request, "groups/log.html", {"group": group, "entries": entries})


# The moderator queue -----------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    pending = (
        group.join_requests.pending()
        .select_related("user__profile__sector")
        .annotate(requester_group_count=requester_group_count())
        .order_by("created_at", "pk")
    )
    page = Paginator(pending, QUEUE_PAGE_SIZE).get_page(request.GET.get("pagina"))
    mutual = mutual_member_connections(page.object_list, group)
    for join_request in page.object_list:
        join_request.mutual_members = mutual.get(join_request.pk, [])
    context = {"group": group, "page": page, "decision_form": DecisionForm()}
    template = "groups/queue.html"
    if request.htmx:
        template += "#queue"
    return render(request, template, context)


@login_required
@require_POST
def decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    join_request = get_object_or_404(group.join_requests.select_related("user"), pk=pk)
    form = DecisionForm(request.POST)
    decided = False
    if form.is_valid():
        if form.cleaned_data["decision"] == "approve":
            decided = join_request.approve(by=request.user)
        else:
            decided = join_request.reject(by=request.user, reason=form.rejection_reason())
        if not decided:
            form.add_error(None, _("Another moderator already decided this request."))
    if request.htmx:
        group.refresh_from_db(fields=["pending_count", "member_count"])
        context = {"group": group, "join_request": join_request, "decision_form": form}
        return render(request, "groups/queue.html#request-card", context)
    if decided:
        messages.success(request, _("Decision saved."))
    else:
        for error in form.errors.get("__all__", []) or [_("Choose approve or decline.")]:
            messages.error(request, error)
    return redirect("groups:queue", group.slug)


@login_required
@require_POST
def bulk_approve(request: HttpRequest, slug: str) -> HttpResponse:
    group, _membership = get_group_for_moderator(request, slug)
    form = BulkApproveForm(request.POST, pending=group.join_requests.pending())
    if form.is_valid():
        approved = sum(jr.approve(by=request.user) for jr in form.cleaned_data["requests"])
        messages.success(request, _("Approved: %(count)d.") % {"count": approved})
    else:
        for error in form.errors.get("requests", []):
            messages.error(request, error)
    return redirect("groups:queue", group.slug)
