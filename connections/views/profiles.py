"""The profile page, /persone/<id>/: the living profile with its inline editing (profiles),
the member's groups and activity (groups) and the connections panel (connections). It
composes all three layers, so it lives in the top one."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.page_cache import kept_for_member
from connections import network
from groups.models import Group, Membership, activity_shown_to
from groups.models.reports import report_member as report_member_to_staff
from groups.views.reports import report_form_response
from profiles import forms
from profiles.models import Experience, Profile, Skill

PROFILE_TEMPLATE = "profiles/detail.html"
SECTIONS = ("avatar", "about", "skills", "experience", "location", "needs", "links", "privacy")
# Fragments an htmx request may ask for; results lists exist only while editing.
PARTS = (
    *SECTIONS,
    "header",
    "completeness",
    "activity",
    "groups",
    "place-results",
    "skill-results",
    "connections",
)
# The avatar is edited inside the header.
PART_OF_SECTION = {"avatar": "header"}
SHOWN_GROUPS = 12
SHOWN_CONNECTIONS = 12
SHOWN_MUTUAL = 3
SKILL_SUGGESTIONS = 8


def get_profile_for_viewer(request: HttpRequest, pk: int) -> Profile:
    """The member's profile with what every section shows, or 404 if the viewer may not see it:
    two members with a block between them (either way) don't see each other's profile."""
    profiles = Profile.objects.visible_to(request.user).select_related("user", "sector")
    profiles = profiles.prefetch_related(
        "skills",
        "languages",
        Prefetch(
            "experiences", queryset=Experience.objects.order_by("end_year", "-start_year", "pk")
        ),
    )
    return get_object_or_404(profiles, user_id=pk)


def groups_shown_to(viewer, member):
    """The member's groups the viewer may know about: open ones, and closed ones the viewer is
    in too (staff see all). Shared groups first."""
    viewer_seat = Membership.objects.filter(group=OuterRef("pk"), user=viewer)
    return (
        Group.objects.readable_by(viewer)
        .filter(memberships__user=member)
        .annotate(is_shared=Exists(viewer_seat))
        .select_related("sector")
        .order_by("-is_shared", "-member_count", "name")
    )


def section_form(section: str, profile: Profile, request: HttpRequest, data=None):
    files = request.FILES if data is not None else None
    match section:
        case "about":
            return forms.AboutForm(data, instance=profile)
        case "needs":
            return forms.NeedsForm(data, instance=profile)
        case "links":
            return forms.LinksForm(data, instance=profile)
        case "privacy":
            return forms.PrivacyForm(data, instance=profile)
        case "location":
            return forms.LocationForm(data, profile=profile)
        case "skills":
            return forms.SkillsForm(data, profile=profile, user=request.user)
        case "experience":
            return forms.ExperienceFormSet(data, instance=profile, prefix="experience")
        case "avatar":
            oversized = getattr(request, "oversized_uploads", set())
            return forms.AvatarForm(data, files, profile=profile, oversized=oversized)
    raise ValueError(section)


def skill_suggestions(request: HttpRequest, profile: Profile, query: str):
    query = " ".join(query.split())
    if len(query) < 2:
        return [], False
    suggestions = list(
        Skill.objects.usable_by(request.user)
        .search(query)
        .exclude(profiles=profile)
        .annotate(popularity=Count("profiles"))
        .order_by("-popularity", "name")[:SKILL_SUGGESTIONS]
    )
    exists = any(skill.name.casefold() == query.casefold() for skill in suggestions) or (
        profile.skills.filter(name__iexact=query).exists()
    )
    return suggestions, not exists


@login_required
@require_http_methods(["GET", "POST"])
# Kept for the viewer under their generation and the member's: both change with a block, a
# connection, an edit or new activity; what third parties change (a mutual connection's
# name) may lag by the minute. Another's profile shows nothing the viewer posts: it is kept
# under the viewer's standing generation.
@kept_for_member(
    also=lambda request, pk: [pk],
    standing=lambda request, pk: pk != request.user.pk,
    badges=False,
)
def profile_detail(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_profile_for_viewer(request, pk)
    member = profile.user
    is_owner = member.pk == request.user.pk
    editing, form = None, None
    if request.method == "POST":
        if not is_owner:
            raise PermissionDenied
        section = request.POST.get("section", "")
        if section not in SECTIONS:
            return HttpResponseBadRequest(_("Unknown profile section."))
        form = section_form(section, profile, request, request.POST)
        if form.is_valid():
            form.save()
            profile = get_profile_for_viewer(request, pk)
            if "add_skill" in request.POST or "keep_editing" in request.POST:
                # "Add" keeps the skills editor open, with the skill now ticked.
                editing, form = section, section_form(section, profile, request)
            elif request.htmx:
                return render_saved(request, profile, section)
            else:
                messages.success(request, _("Your profile is saved."))
                return redirect(f"{member.get_absolute_url()}#{section}")
        else:
            editing = section
    elif is_owner and request.GET.get("edit") in SECTIONS:
        editing = request.GET["edit"]
        # Live search results while typing: the form bound to the query, never saved.
        live = request.GET.get("part") in ("place-results", "skill-results")
        form = section_form(editing, profile, request, request.GET if live else None)

    context = profile_context(request, profile, editing=editing, form=form)
    template = PROFILE_TEMPLATE
    if request.htmx:
        part = request.GET.get("part") or editing
        part = PART_OF_SECTION.get(part, part)
        if part in PARTS:
            template += f"#{part}"
    return render(request, template, context)


def connections_context(viewer, profile: Profile) -> dict:
    """The connections panel and list, each one query, run only if the page shows them."""
    member = profile.user

    @functools.cache
    def rel():
        return network.relationship(viewer, member)

    @functools.cache
    def mutual():
        if viewer.pk == member.pk:
            return [], 0
        return network.mutual_shown(viewer, profile, rel(), SHOWN_MUTUAL)

    @functools.cache
    def member_connections():
        # connections_visibility: the list (and its count) is absent for those it is hidden from.
        if not network.may_see_connections(viewer, profile, rel()):
            return None
        return network.first_connections_with_total(member.pk, viewer.pk, SHOWN_CONNECTIONS)

    return {
        "connection_rel": rel,
        "mutual_connections": mutual,
        "member_connections": member_connections,
    }


def profile_context(request: HttpRequest, profile: Profile, **extra) -> dict:
    viewer = request.user
    is_owner = profile.user_id == viewer.pk
    context = {
        "member": profile.user,
        "profile": profile,
        "is_owner": is_owner,
        "place": profile.place_for(viewer),
        "groups": groups_shown_to(viewer, profile.user)[:SHOWN_GROUPS],
        "activity": lambda: activity_shown_to(viewer, profile.user),
        "profile_url": profile.user.get_absolute_url(),
        "editing": None,
        "form": None,
        **connections_context(viewer, profile),
        **extra,
    }
    if extra.get("editing") == "skills":
        query = request.POST.get("new_skills") or request.GET.get("new_skills", "")
        if request.GET.get("part") == "skill-results":
            context["suggestions"], context["can_propose"] = skill_suggestions(
                request, profile, query
            )
            context["skill_query"] = " ".join(query.split())
        context["skill_options"] = (
            Skill.objects.filter(is_approved=True)
            .annotate(popularity=Count("profiles"))
            .order_by("-popularity", "name")
            .values_list("name", flat=True)[:300]
        )
    return context


def render_saved(request: HttpRequest, profile: Profile, section: str) -> HttpResponse:
    """After an htmx save: the section, and the header and meter that depend on it."""
    context = profile_context(request, profile)
    main = PART_OF_SECTION.get(section, section)
    html = render_to_string(f"{PROFILE_TEMPLATE}#{main}", context, request)
    for part in ("header", "completeness"):
        if part != main:
            html += render_to_string(
                f"{PROFILE_TEMPLATE}#{part}", {**context, "oob": True}, request
            )
    return HttpResponse(html)


@login_required
@require_http_methods(["GET", "POST"])
def report_member(request: HttpRequest, pk: int) -> HttpResponse:
    """Report a profile to staff (fake profile, abuse…); the member never learns who did."""
    member = get_profile_for_viewer(request, pk).user
    if member.pk == request.user.pk:
        raise PermissionDenied
    form = forms.ReportForm(request.POST or None)

    def file(reason, note):
        report_member_to_staff(request.user, member, reason=reason, note=note)

    context = {"group": None, "file": file, "back": member.get_absolute_url(), "to_staff": True}
    return report_form_response(request, form, context, member, done_url=member.get_absolute_url())
