"""Moderation views: the member list and its actions, bans, the log, the join-request queue."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from groups.forms import BulkApproveForm, DecisionForm, MemberActionForm
from groups.models import GroupActionError, Membership
from groups.views.access import get_group_for_moderator, get_group_for_reader
from profiles.models import block_between_exists

QUEUE_PAGE_SIZE = 50
MEMBER_PAGE_SIZE = 50


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


@require_GET
def member_list(request: HttpRequest, slug: str) -> HttpResponse:
    seat = get_group_for_reader(request, slug)
    group = seat.group
    members = group.memberships.select_related("user").order_by("role", "joined_at", "pk")
    if request.user.is_authenticated and not seat.can_moderate:
        # A block hides the two members from each other here too; moderators see everyone.
        members = members.exclude(block_between_exists(request.user.pk, "user_id"))
    page = Paginator(members, MEMBER_PAGE_SIZE).get_page(request.GET.get("pagina"))
    context = {
        "group": group,
        "membership": seat.membership,
        "page": page,
        "can_moderate": seat.can_moderate,
        "is_owner": seat.is_staff or seat.is_owner,
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
    seat = get_group_for_moderator(request, slug)
    group = seat.group
    target = get_object_or_404(group.memberships.select_related("user"), user_id=user_id)
    form = MemberActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid action."))
        return redirect("groups:members", group.slug)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    owner_only = action in ("promote", "demote", "transfer")
    if owner_only and not (seat.is_staff or seat.is_owner):
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
    if request.htmx:
        return HttpResponseClientRedirect(reverse("groups:members", args=[group.slug]))
    return redirect("groups:members", group.slug)


@login_required
@require_POST
def ban_lift(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    group = get_group_for_moderator(request, slug).group
    ban = get_object_or_404(group.bans.select_related("user"), user_id=user_id)
    group.unban(ban.user, by=request.user)
    messages.success(request, _("Ban lifted."))
    return redirect("groups:members", group.slug)


@login_required
@require_GET
def moderation_log(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_group_for_moderator(request, slug).group
    entries = group.moderation_log.select_related("actor", "target")[:200]
    return render(request, "groups/log.html", {"group": group, "entries": entries})


# The moderator queue -----------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    group = get_group_for_moderator(request, slug).group
    pending = (
        group.join_requests.pending()
        .select_related("user__profile__sector")
        .annotate(requester_group_count=requester_group_count())
        .order_by("created_at", "pk")
    )
    page = Paginator(pending, QUEUE_PAGE_SIZE).get_page(request.GET.get("pagina"))
    context = {"group": group, "page": page, "decision_form": DecisionForm()}
    template = "groups/queue.html"
    if request.htmx:
        template += "#queue"
    return render(request, template, context)


@login_required
@require_POST
def decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    group = get_group_for_moderator(request, slug).group
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
    group = get_group_for_moderator(request, slug).group
    form = BulkApproveForm(request.POST, pending=group.join_requests.pending())
    if form.is_valid():
        approved = sum(jr.approve(by=request.user) for jr in form.cleaned_data["requests"])
        messages.success(request, _("Approved: %(count)d.") % {"count": approved})
    else:
        for error in form.errors.get("requests", []):
            messages.error(request, error)
    return redirect("groups:queue", group.slug)
