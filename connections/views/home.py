"""The home page: the marketing page for visitors, the member's personal home otherwise.

The personal home composes every layer (questions from groups, requests and people from
connections, the profile nudge from profiles), so it lives in the top layer. Each block is a
`{% partialdef %}` of one template: rendered in place without JavaScript, or, when the
browser announced it runs scripts (the `gilda_js` cookie set by gilda.js), left as a
placeholder that htmx loads from `/?blocco=<name>` once the page is shown."""

import re
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from config.ids import parse_id
from config.page_cache import cache_for_visitors, keep_for_member
from connections import home_cache, network
from connections.context_processors import badge_key
from connections.models import Connection, ConnectionRequest
from groups import home as group_blocks
from groups.fragments import CSRF_PLACEHOLDER
from groups.models import Group, GroupActionError, Membership, Post
from groups.views import home_groups
from profiles.forms import WhoYouAreForm
from profiles.models import Profile, User
from profiles.models.accounts import block_between_exists

HOME_TEMPLATE = "connections/home.html"
REQUESTS_SHOWN = 5
PEOPLE_SHOWN = 3
# Below this share the profile is "thin": the home nudges towards the next steps.
THIN_PROFILE_PERCENT = 70
JS_COOKIE = "gilda_js"


def _questions(user):
    return group_blocks.question_picks(user)


def _activity(user):
    return group_blocks.activity_on_my_threads(user)


def _moderation(user):
    return group_blocks.moderation_waiting(user)


def _requests(user):
    return network.first_with_total(
        ConnectionRequest.objects.incoming(user).select_related("sender__profile__sector"),
        REQUESTS_SHOWN,
    )


def _people(user):
    return network.explained(user, network.suggestions_for(user)[:PEOPLE_SHOWN])


def _profile(user):
    profile = (
        Profile.objects.filter(user=user)
        .prefetch_related("skills", "experiences", "languages")
        .first()
    )
    if profile is None or profile.completeness.percent >= THIN_PROFILE_PERCENT:
        return None
    return profile


def _groups(user):
    return home_groups(user)


def _events(user):
    return group_blocks.upcoming_events(user)


# What the member did since a block's data was kept, applied as it is rendered again
# (home_cache.STANDING_DATA).
FRESHEN = {"questions": group_blocks.still_unanswered}

BLOCKS = {
    "questions": _questions,
    "activity": _activity,
    "moderation": _moderation,
    "requests": _requests,
    "people": _people,
    "events": _events,
    "profile": _profile,
    "groups": _groups,
}


@require_GET
@cache_for_visitors
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "home.html", home_groups(user))
    block = request.GET.get("blocco")
    if request.htmx and block in BLOCKS:
        return HttpResponse(_rendered(request, [block])[block])
    lazy = request.COOKIES.get(JS_COOKIE) == "1"
    # The badges, read for the navigation anyway, key the cached blocks (home_cache); the
    # lazily loaded blocks get them in their address, so they need not read them again.
    badges = badge_key(request)

    def page() -> HttpResponse:
        context = {"lazy": lazy, "block_names": list(BLOCKS), "badges": badges}
        if not lazy:
            context["blocks_html"] = _rendered(request, BLOCKS, badges)
        return render(request, HOME_TEMPLATE, context)

    # The whole page is the member's own, like its blocks (config.page_cache.kept_for_member).
    return keep_for_member(request, page, lazy)


BADGES = re.compile(r"\d{1,9}\.\d{1,9}\.\d{1,9}")


def _rendered(request, names, badges: str = "") -> dict[str, str]:
    """The named blocks' HTML, through the per-member cache (home_cache), with this
    request's CSRF token."""
    if not badges:
        given = request.GET.get("badges", "")
        badges = given if BADGES.fullmatch(given) else ""
    if not badges:
        badges = badge_key(request)

    def render_block(name: str, block) -> str:
        if name in FRESHEN:
            block = FRESHEN[name](request.user, block)
        context = {name: block, "csrf_token": CSRF_PLACEHOLDER}
        return render_to_string(f"{HOME_TEMPLATE}#{name}", context, request)

    loaders = {name: BLOCKS[name] for name in names}
    html = home_cache.load_html(request.user, loaders, badges, render_block)
    token = get_token(request)
    return {name: mark_safe(part.replace(CSRF_PLACEHOLDER, token)) for name, part in html.items()}  # noqa: S308  # nosec B308, B703: our own rendered template, the token is Django's


# The first visit ------------------------------------------------------------------------

FIRST_VISIT_TEMPLATE = "connections/first_visit.html"
FIRST_VISIT_STEPS = (1, 2, 3)
FIRST_VISIT_SHOWN = 6


def _step_url(step: int) -> str:
    return f"{reverse('first_visit')}?passo={step}"


def groups_to_join(user, profile: Profile) -> list[Group]:
    """Groups of the member's sector, then those with most members in their region."""
    near = Count("memberships", filter=Q(memberships__user__profile__region=profile.region))
    wanted = Q(sector_id=profile.sector_id) if profile.sector_id else Q(pk__in=[])
    groups = Group.objects.select_related("sector").with_membership_of(user)
    if profile.region:
        groups = groups.annotate(near=near).filter(wanted | Q(near__gt=0))
        order = ["-near", "-member_count", "name"]
    else:
        groups = groups.filter(wanted)
        order = ["-member_count", "name"]
    return list(groups.order_by(*order)[:FIRST_VISIT_SHOWN])


def first_people(user, profile: Profile) -> list[User]:
    """Same sector and city, or active in the member's groups in the last 30 days; never
    yourself, a connection, a pending request either way or a block either way."""
    same_place = Q(pk__in=[])
    if profile.sector_id and profile.city:
        same_place = Q(profile__sector_id=profile.sector_id, profile__city=profile.city)
    active_in_my_groups = Exists(
        Post.objects.filter(
            author=OuterRef("pk"),
            deleted_at__isnull=True,
            created_at__gte=timezone.now() - timedelta(days=30),
            group__in=Membership.objects.filter(user=user).values("group"),
        )
    )
    return list(
        User.objects.filter(is_active=True)
        .filter(same_place | Q(active_in_my_groups))
        .exclude(pk=user.pk)
        .exclude(pk__in=Connection.objects.other_ids(user.pk))
        .exclude(block_between_exists(user.pk, "pk"))
        .exclude(network.pending_request_exists(user.pk, "pk"))
        .select_related("profile__sector")
        .order_by("-last_login", "pk")[:FIRST_VISIT_SHOWN]
    )


def _finish_first_visit(request: HttpRequest, text: str) -> HttpResponse:
    User.objects.filter(pk=request.user.pk, onboarded_at__isnull=True).update(
        onboarded_at=timezone.now()
    )
    messages.success(request, text)
    return redirect("home")


@login_required
@require_http_methods(["GET", "POST"])
def first_visit(request: HttpRequest) -> HttpResponse:
    """Three skippable steps after verification (who you are, groups, people); resumable from
    the home until finished or skipped, and it ends on the home."""
    user = request.user
    step = parse_id(request.GET.get("passo")) or 1
    if step not in FIRST_VISIT_STEPS:
        step = 1
    profile = Profile.objects.select_related("sector").get(user=user)
    action = request.POST.get("action", "")
    if request.method == "POST" and action == "skip":
        return _finish_first_visit(request, _("All right: you will find everything on your home."))
    if request.method == "POST" and action == "finish":
        return _finish_first_visit(request, _("You are all set. Here is your home."))
    form = None
    if step == 1:
        form = WhoYouAreForm(request.POST if request.method == "POST" else None, instance=profile)
        if request.method == "POST" and form.is_valid():
            form.save()
            return redirect(_step_url(2))
    elif request.method == "POST" and action == "join":
        group = get_object_or_404(Group, pk=parse_id(request.POST.get("group")))
        if group.is_closed:
            # A closed group asks to accept its rules (and maybe a question): its own form.
            return redirect("groups:join", group.slug)
        try:
            group.join(user)
        except GroupActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("You joined %(group)s.") % {"group": group.name})
        return redirect(_step_url(2))
    context = {"step": step, "steps": FIRST_VISIT_STEPS, "form": form, "profile": profile}
    if step == 2:
        context["groups"] = groups_to_join(user, profile)
    if step == 3:
        context["people"] = first_people(user, profile)
    return render(request, FIRST_VISIT_TEMPLATE, context)
