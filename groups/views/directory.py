"""The members directory: /persone/, site-wide or filtered to one group (?gruppo=<slug>).

One URL, one view, one template; htmx swaps the #results fragment as the filters change,
and the same form works as a plain GET without JavaScript.

Privacy: distances and the "near" filters use only public_latitude/public_longitude (the
city, or the region's centre for region-only members), the place shown is
Profile.public_place, and text search never looks at the city.

A full page is kept for the viewer a minute at most (kept_for_member, under their standing
generation alone): their own changes (a block, their city, a group joined) show at once, a new
member or another's edit within that minute. It shows none of their circle, so a connection
request sent or answered leaves it as it was.
"""

import functools
import re
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Exists, FloatField, OuterRef, Q, Value
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import floatformat
from django.utils.functional import cached_property, lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from config.page_cache import kept_for_member
from groups.fragments import prefetch_keyed
from groups.models import Group, Membership, with_activity
from profiles import gazetteer
from profiles.models import Profile, Sector, Skill, User

PAGE_SIZE = 20
# Counting every match of a 20,000-member directory cost more than the page itself (140 ms):
# the count stops here, and the page says "more than 1,000".
COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP matches (a COUNT over a LIMIT), so pages stop at the cap."""

    @cached_property
    def matches(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.matches, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self.matches > COUNT_CAP


RADIUS_CHOICES = (5, 10, 25, 50, 100, 200, 500)
# "Near me" always looks within a radius, so that it reads a slice of the table, not all.
NEAR_DEFAULT_KM = 100
# A city without a radius means "in and around" it.
CITY_DEFAULT_KM = 25
CITY_SUGGESTIONS = 40


# "Near me" without a radius still looks within NEAR_DEFAULT_KM: the empty choice says so.
ANY_DISTANCE = lazy(lambda: _("Any (near me: %(km)s km)") % {"km": NEAR_DEFAULT_KM}, str)()


class Sort(models.TextChoices):
    NEWEST = "recenti", gettext_lazy("Newest")
    NEAR = "vicino", gettext_lazy("Near me")
    ACTIVE = "attivi", gettext_lazy("Most active")


class DirectoryForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name or headline"), max_length=100, required=False)
    settore = forms.ChoiceField(label=gettext_lazy("Sector"), required=False)
    competenza = forms.CharField(label=gettext_lazy("Skill"), max_length=60, required=False)
    citta = forms.CharField(label=gettext_lazy("City"), max_length=100, required=False)
    raggio = forms.TypedChoiceField(
        label=gettext_lazy("Distance"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", ANY_DISTANCE)] + [(km, f"{km} km") for km in RADIUS_CHOICES],
    )
    aperto = forms.ChoiceField(
        label=gettext_lazy("Open to"),
        required=False,
        choices=[("", gettext_lazy("Anything"))] + Profile.OpenTo.choices,
    )
    ordine = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=Sort.choices)
    gruppo = forms.SlugField(label=gettext_lazy("Group"), max_length=80, required=False)

    def __init__(self, data, *, sectors: list[Sector], user):
        super().__init__(data)
        self.user = user
        self.sectors = {sector.slug: sector for sector in sectors}
        self.fields["settore"].choices = [("", gettext_lazy("All sectors"))] + [
            (sector.slug, sector.localized_name) for sector in sectors
        ]

    def clean_settore(self) -> Sector | None:
        return self.sectors.get(self.cleaned_data["settore"])

    def clean_competenza(self) -> Skill | None:
        name = " ".join(self.cleaned_data["competenza"].split())
        if not name:
            return None
        skill = (
            Skill.objects.usable_by(self.user)
            .filter(Q(name__iexact=name) | Q(slug=name.lower()))
            .first()
        )
        if skill is None:
            raise forms.ValidationError(
                _("No skill is called “%(name)s”: check the spelling."), params={"name": name}
            )
        return skill

    def clean_citta(self) -> gazetteer.Place | None:
        text = " ".join(self.cleaned_data["citta"].split())
        if not text:
            return None
        place = find_place(text)
        if place is None:
            raise forms.ValidationError(
                _("We do not know a city called “%(name)s”: try a nearby larger town."),
                params={"name": text},
            )
        return place


def find_place(text: str) -> gazetteer.Place | None:
    """A gazetteer place from what a member typed: "Torino", or a label like "Rho (Lombardia)"."""
    qualifier = ""
    labelled = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", text)
    if labelled:
        text, qualifier = labelled.groups()
    wanted = gazetteer.normalize(text)
    matches = [
        place
        for place in gazetteer.search(text, limit=30)
        if place.key == wanted or wanted in place.aliases
    ]
    if qualifier:
        qualifier = gazetteer.normalize(qualifier)
        qualified = [
            place
            for place in matches
            if qualifier in (gazetteer.normalize(place.region), place.country.lower())
        ]
        matches = qualified or matches
    return matches[0] if matches else None


@functools.cache
def city_suggestions() -> list[str]:
    """The biggest Italian cities, for the city field's datalist (from memory, no query)."""
    places = (
        place
        for place in gazetteer._places()[1]
        if place.country == "IT" and place.name not in gazetteer.CITY_DISTRICTS
    )
    names: list[str] = []
    for place in places:
        if place.name not in names:
            names.append(place.name)
        if len(names) == CITY_SUGGESTIONS:
            break
    return sorted(names)


@dataclass
class Search:
    """What the directory shows, worked out from the valid filters."""

    members: models.QuerySet
    sort: str
    centre_label: str = ""
    radius_km: int | None = None
    notes: list[str] = field(default_factory=list)


def search_members(viewer, viewer_profile: Profile, filters: dict, group: Group | None) -> Search:
    members = (
        Profile.objects.visible_to(viewer)
        .listed_in_directory()
        .filter(user__in=User.objects.not_suspended())
        .exclude(user=viewer)
        .select_related("user", "sector")
    )
    if text := filters.get("q"):
        members = members.filter(
            Q(user__display_name__icontains=text) | Q(headline__icontains=text)
        )
    if sector := filters.get("settore"):
        members = members.filter(sector=sector)
    if skill := filters.get("competenza"):
        members = members.filter(skills=skill)
    if open_to := filters.get("aperto"):
        members = members.filter(open_to=open_to)
    if group is not None:
        seat = Membership.objects.filter(group=group, user=OuterRef("user_id"))
        members = members.filter(Exists(seat))

    search = Search(members=members, sort=filters.get("ordine") or Sort.NEWEST)
    place = filters.get("citta")
    if place is not None:
        centre = (place.latitude, place.longitude)
        search.centre_label = place.name
    elif viewer_profile.latitude is not None:
        centre = (viewer_profile.latitude, viewer_profile.longitude)
        search.centre_label = _("you")
    else:
        centre = None

    radius = filters.get("raggio")
    if place is not None and radius is None:
        radius = CITY_DEFAULT_KM
    if search.sort == Sort.NEAR and centre is None:
        search.notes.append(
            _("Add your city to your profile, or choose a city, to sort by distance.")
        )
        search.sort = Sort.NEWEST
    if search.sort == Sort.NEAR and radius is None:
        radius = NEAR_DEFAULT_KM
    if radius is not None and centre is None:
        search.notes.append(
            _("Choose a city, or add yours to your profile, to filter by distance.")
        )
        radius = None

    if radius is not None:
        search.members = search.members.within_km(*centre, radius)
        search.radius_km = radius
    elif centre is not None:
        search.members = search.members.with_distance_from(*centre)
    else:
        search.members = search.members.annotate(distance_km=Value(None, FloatField()))

    if search.sort == Sort.NEAR:
        search.members = search.members.order_by("distance_km", "-pk")
    elif search.sort == Sort.ACTIVE:
        search.members = with_activity(search.members, viewer, group).order_by(
            "-activity_score", "-created_at", "-pk"
        )
    else:
        search.members = search.members.order_by("-created_at", "-pk")
    return search


def get_group_for_directory(user, slug: str) -> Group:
    """The group to list the members of, or 404 when its inside is hidden from the user."""
    return get_object_or_404(Group.objects.readable_by(user).select_related("sector"), slug=slug)


def card_signature(search, profile: Profile) -> tuple:
    """Everything a member's card shows (profiles/directory.html), for its cached fragment
    (groups.fragments.prefetch_keyed): the member, their sector, the distance as shown, their
    points when the list is by activity, what they are open to and their skills."""
    distance = getattr(profile, "distance_km", None)
    by_activity = search.sort == "attivi"
    return (
        profile.card_signature,
        profile.sector.localized_name if profile.sector else None,
        profile.shows_city,
        None if distance is None else (distance < 1, floatformat(distance, "0")),
        profile.activity_score if by_activity else None,
        by_activity,
        profile.get_open_to_display() if profile.open_to else "",
        tuple(skill.name for skill in profile.skills.all()),
    )


@login_required
@require_GET
@kept_for_member(standing="alone", badges=False)
def directory(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    viewer_profile = Profile.objects.get(user=viewer)
    form = DirectoryForm(request.GET, sectors=list(Sector.objects.all()), user=viewer)
    form.is_valid()
    if "gruppo" in form.errors:
        raise Http404
    filters = form.cleaned_data
    group = get_group_for_directory(viewer, filters["gruppo"]) if filters.get("gruppo") else None

    search = search_members(viewer, viewer_profile, filters, group)
    page = CappedPaginator(search.members.prefetch_related("skills"), PAGE_SIZE).get_page(
        request.GET.get("pagina")
    )
    page.object_list = list(page.object_list)
    prefetch_keyed(page.object_list, "directory-member", functools.partial(card_signature, search))
    context = {"form": form, "page": page, "search": search, "group": group}
    if request.htmx:
        return render(request, "profiles/directory.html#results", context)
    # The group facet offers the viewer's own groups only: never a closed group they are not in.
    my_groups = list(Group.objects.of_member(viewer).order_by("name").only("slug", "name"))
    if group is not None and group not in my_groups:
        my_groups.insert(0, group)
    context |= {"group_choices": my_groups, "city_suggestions": city_suggestions()}
    return render(request, "profiles/directory.html", context)
