"""One small form per profile section, each edited in place on the profile page."""

import logging

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.ids import IdChoiceField, IdMultipleChoiceField, parse_id
from profiles import gazetteer
from profiles.models import (
    EmailFrequency,
    EmailKind,
    EmailPreference,
    Experience,
    Profile,
    Report,
    Sector,
    Skill,
    SpokenLanguage,
    avatar_path,
)
from profiles.uploads import process_avatar, too_large_message

logger = logging.getLogger(__name__)

MAX_SKILLS = 30
MAX_EXPERIENCES = 12


class AboutForm(forms.ModelForm):
    display_name = forms.CharField(label=_("Name shown to others"), max_length=80)
    languages = forms.MultipleChoiceField(
        label=_("Languages I speak"),
        choices=SpokenLanguage.Code.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Profile
        fields = ["headline", "sector", "bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "headline": _("One line: what you do, e.g. “Copywriter for e-commerce brands”."),
            "bio": _("Markdown: **bold**, *italics*, lists and links."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = Sector.objects.all()
        self.fields["display_name"].initial = self.instance.user.display_name
        self.fields["languages"].initial = [lang.code for lang in self.instance.languages.all()]

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError(_("Please enter your name."))
        return name

    @transaction.atomic
    def save(self, commit: bool = True) -> Profile:
        profile = super().save()
        user = profile.user
        user.display_name = self.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])
        wanted = set(self.cleaned_data["languages"])
        profile.languages.exclude(code__in=wanted).delete()
        have = set(profile.languages.values_list("code", flat=True))
        SpokenLanguage.objects.bulk_create(
            [SpokenLanguage(profile=profile, code=code) for code in sorted(wanted - have)],
            ignore_conflicts=True,
        )
        return profile


class NeedsForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["needs", "offers", "open_to"]
        widgets = {
            "needs": forms.Textarea(attrs={"rows": 3}),
            "offers": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "needs": _("What would help you now: a supplier, advice, a partner, a job."),
            "offers": _("What you can do for other members."),
        }


class LinksForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["website", "linkedin_url"]
        widgets = {
            "website": forms.URLInput(attrs={"placeholder": "https://"}),
            "linkedin_url": forms.URLInput(attrs={"placeholder": "https://www.linkedin.com/in/…"}),
        }


class PrivacyForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["location_visibility", "connections_visibility"]
        widgets = {
            "location_visibility": forms.RadioSelect,
            "connections_visibility": forms.RadioSelect,
        }
        help_texts = {
            "location_visibility": _(
                "With “Region only”, other members see your region and distances are "
                "measured from its centre."
            ),
        }

    def save(self, commit: bool = True) -> Profile:
        profile = super().save(commit=False)
        profile.save(update_fields=["location_visibility", "connections_visibility"])
        return profile


class LocationForm(forms.Form):
    """A city from the gazetteer: typed, then picked among the matches (radio buttons that
    htmx fills in as you type; without JavaScript, the server offers them after a submit)."""

    place_query = forms.CharField(
        label=_("City"),
        max_length=100,
        required=False,
        help_text=_("Leave empty and save to remove your location."),
    )
    geoname_id = forms.TypedChoiceField(
        label=_("Which one?"), coerce=int, required=False, widget=forms.RadioSelect
    )

    def __init__(self, *args, profile: Profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile
        query = (self.data.get("place_query") if self.is_bound else profile.city) or ""
        self.matches = gazetteer.search(query) if self.is_bound else []
        choices = [(place.geoname_id, place.label) for place in self.matches]
        # Keep the picked (or, before any typing, the current) place among the choices.
        if self.is_bound:
            kept = gazetteer.get(_int_or_none(self.data.get("geoname_id")))
        else:
            kept = gazetteer.get(profile.geoname_id)
        if kept and kept.geoname_id not in {value for value, _label in choices}:
            choices.insert(0, (kept.geoname_id, kept.label))
        self.fields["geoname_id"].choices = choices
        if not self.is_bound:
            self.fields["place_query"].initial = profile.city
            self.fields["geoname_id"].initial = profile.geoname_id

    def clean(self):
        data = super().clean()
        query = (data.get("place_query") or "").strip()
        chosen = gazetteer.get(data.get("geoname_id"))
        if chosen and (not query or query == chosen.name or self._matches(query, chosen)):
            data["place"] = chosen
        elif not query:
            data["place"] = None
        else:
            key = gazetteer.normalize(query)
            top = self.matches[0] if self.matches else None
            # The typed name is enough when it names the first match and no namesake in the
            # same country competes ("Milano"); otherwise ("Berg", "San Lorenzo") ask.
            if (
                top
                and top.key == key
                and not any(
                    other.key == key and other.country == top.country for other in self.matches[1:]
                )
            ):
                data["place"] = top
            elif not self.matches:
                self.add_error(
                    "place_query",
                    _("We do not know a city called “%(name)s”: try a nearby larger town.")
                    % {"name": query},
                )
            else:
                self.add_error("geoname_id", _("Pick your city from the list."))
        return data

    @staticmethod
    def _matches(query: str, place) -> bool:
        return any(
            match.geoname_id == place.geoname_id for match in gazetteer.search(query, limit=50)
        )

    def save(self) -> Profile:
        self.profile.set_location(self.cleaned_data["place"])
        self.profile.save()
        return self.profile


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class SkillsForm(forms.Form):
    skills = IdMultipleChoiceField(
        label=_("Your skills"),
        queryset=Skill.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    new_skills = forms.CharField(
        label=_("Add skills"),
        max_length=300,
        required=False,
        help_text=_(
            "Separate them with commas. A skill that is not on the list yet is proposed to "
            "the staff, and shows on your profile meanwhile."
        ),
    )

    # A suggestion clicked while typing: it is added, and the half-typed text is dropped.
    add_skill = IdChoiceField(queryset=Skill.objects.none(), required=False)

    def __init__(self, *args, profile: Profile, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile
        self.user = user
        usable = Skill.objects.usable_by(user)
        self.fields["skills"].queryset = (usable | profile.skills.all()).distinct()
        self.fields["add_skill"].queryset = usable
        current = list(profile.skills.all())
        self.current = current
        if not self.is_bound:
            self.fields["skills"].initial = [skill.pk for skill in current]

    def shown_skills(self) -> list[tuple[Skill, bool]]:
        """The checkboxes to draw: the member's skills, plus any ticked in a failed submit."""
        if not self.is_bound:
            return [(skill, True) for skill in self.current]
        ticked = {parse_id(value) for value in self.data.getlist("skills")} - {None}
        known = {skill.pk for skill in self.current}
        extra = list(self.fields["skills"].queryset.filter(pk__in=ticked - known))
        return [(skill, skill.pk in ticked) for skill in [*self.current, *extra]]

    def clean_new_skills(self) -> list[str]:
        names = []
        for raw in self.cleaned_data["new_skills"].split(","):
            name = " ".join(raw.split())
            if not name:
                continue
            if len(name) > 60:
                raise forms.ValidationError(_("A skill name is at most 60 characters."))
            if name.casefold() not in {n.casefold() for n in names}:
                names.append(name)
        return names

    def clean(self):
        data = super().clean()
        if data.get("add_skill"):
            data["skills"] = [*(data.get("skills") or []), data["add_skill"]]
            data["new_skills"] = []
        total = len(data.get("skills") or []) + len(data.get("new_skills") or [])
        if total > MAX_SKILLS:
            raise forms.ValidationError(
                _("At most %(max)s skills: keep the ones you are best at.") % {"max": MAX_SKILLS}
            )
        return data

    @transaction.atomic
    def save(self) -> Profile:
        skills = list(self.cleaned_data["skills"])
        skills += [Skill.propose(name, by=self.user) for name in self.cleaned_data["new_skills"]]
        self.profile.skills.set(set(skills))
        return self.profile


class ExperienceForm(forms.ModelForm):
    class Meta:
        model = Experience
        fields = ["role", "organisation", "start_year", "end_year"]

    def clean(self):
        data = super().clean()
        this_year = timezone.now().year
        start, end = data.get("start_year"), data.get("end_year")
        if start is not None and not 1940 <= start <= this_year:
            self.add_error(
                "start_year", _("Enter a year between 1940 and %(year)s.") % {"year": this_year}
            )
        if end is not None and not 1940 <= end <= this_year:
            self.add_error(
                "end_year", _("Enter a year between 1940 and %(year)s.") % {"year": this_year}
            )
        elif start is not None and end is not None and end < start:
            self.add_error("end_year", _("The end year comes after the start year."))
        return data


ExperienceFormSet = forms.inlineformset_factory(
    Profile,
    Experience,
    form=ExperienceForm,
    extra=1,
    can_delete=True,
    max_num=MAX_EXPERIENCES,
    validate_max=True,
)


class AvatarForm(forms.Form):
    avatar = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_(
            "JPEG, PNG or WebP, up to 5 MB. We crop it to a square and remove its metadata."
        ),
    )
    remove = forms.BooleanField(label=_("Remove my photo"), required=False)

    def __init__(self, *args, profile: Profile, oversized: set[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile
        self.oversized = oversized

    def clean(self):
        data = super().clean()
        if "avatar" in self.oversized:
            self.add_error("avatar", too_large_message())
        elif data.get("avatar"):
            try:
                processed = process_avatar(data["avatar"])
            except forms.ValidationError as error:
                self.add_error("avatar", error)
            else:
                # Stored here, atomically (profiles/uploads.py), so that a full disk is a
                # message on the form rather than a 500.
                storage = self.profile.avatar.storage
                try:
                    data["stored_name"] = storage.save(avatar_path(self.profile, ""), processed)
                except OSError:
                    logger.exception("Could not store an avatar for user %s", self.profile.user_id)
                    self.add_error(
                        "avatar",
                        _("We could not store your photo right now. Please try again later."),
                    )
        elif not data.get("remove"):
            self.add_error("avatar", _("Choose a photo to upload."))
        return data

    def save(self) -> Profile:
        profile = self.profile
        old = profile.avatar.name
        stored = self.cleaned_data.get("stored_name")
        profile.avatar = stored or ""
        try:
            profile.save(update_fields=["avatar", "updated_at"])
        except Exception:
            if stored:
                profile.avatar.storage.delete(stored)
            raise
        if old and old != profile.avatar.name:
            profile.avatar.storage.delete(old)
        return profile


class ReportForm(forms.Form):
    """A report on anything: a reason, and a note that "something else" requires."""

    reason = forms.ChoiceField(
        label=_("Why are you reporting it?"),
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        help_text=_("Nobody but the moderators and staff reads it; your name is never shown."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Report.Reason.OTHER and not cleaned.get("note", "").strip():
            self.add_error("note", _("Tell the moderators what is wrong."))
        return cleaned


class SuspendForm(forms.Form):
    """Staff's suspension of one or more members, from the admin."""

    reason = forms.CharField(
        label=_("Reason (the member reads it)"), max_length=500, widget=forms.Textarea
    )
    until = forms.DateTimeField(
        label=_("Until"),
        required=False,
        help_text=_("Empty: until staff lift it. Format: 2026-12-31 18:00."),
    )
    hide_content = forms.BooleanField(
        label=_("Also hide everything they wrote, pending review"), required=False
    )

    def clean_until(self):
        until = self.cleaned_data.get("until")
        if until is not None and until <= timezone.now():
            raise forms.ValidationError(_("Choose a moment in the future."))
        return until


class WhoYouAreForm(forms.ModelForm):
    """The first visit's first step: name, headline, sector and city in one go."""

    field_order = ["display_name", "headline", "sector", "city", "skill_names"]

    display_name = forms.CharField(label=_("Name shown to others"), max_length=80)
    city = forms.CharField(
        label=_("City"),
        max_length=100,
        required=False,
        help_text=_("Your city or the nearest larger town, e.g. “Bologna”."),
    )
    skill_names = forms.CharField(
        label=_("Skills"),
        max_length=600,
        required=False,
        help_text=_("Separated by commas, e.g. “SEO locale, copywriting”: questions that "
                    "match them will wait for you on your home."),
    )  # fmt: skip

    class Meta:
        model = Profile
        fields = ["headline", "sector"]
        help_texts = {
            "headline": _("One line: what you do, e.g. “Copywriter for e-commerce brands”."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = Sector.objects.all()
        self.fields["display_name"].initial = self.instance.user.display_name
        self.fields["city"].initial = self.instance.city
        self.fields["skill_names"].initial = ", ".join(s.name for s in self.instance.skills.all())

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError(_("Please enter your name."))
        return name

    def clean_skill_names(self) -> list[str]:
        names = [" ".join(n.split())[:60] for n in self.cleaned_data["skill_names"].split(",")]
        names = list(dict.fromkeys(n for n in names if n))
        if len(names) > MAX_SKILLS:
            raise forms.ValidationError(
                _("At most %(max)s skills: keep the ones you are best at.") % {"max": MAX_SKILLS}
            )
        return names

    def clean_city(self):
        query = " ".join(self.cleaned_data["city"].split())
        if not query:
            return None
        key = gazetteer.normalize(query)
        matches = [place for place in gazetteer.search(query) if place.key == key]
        if not matches:
            raise forms.ValidationError(
                _("We do not know a city called “%(name)s”: try a nearby larger town.")
                % {"name": query}
            )
        return matches[0]

    @transaction.atomic
    def save(self, commit: bool = True) -> Profile:
        profile = super().save(commit=False)
        place = self.cleaned_data["city"]
        if place is not None or not profile.city:
            profile.set_location(place)
        profile.save()
        user = profile.user
        user.display_name = self.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])
        profile.skills.add(
            *[Skill.propose(name, by=user) for name in self.cleaned_data["skill_names"]]
        )
        return profile


def _timezone_choices() -> list[tuple[str, str]]:
    import zoneinfo

    names = sorted(n for n in zoneinfo.available_timezones() if "/" in n and "Etc" not in n)
    return [(name, name.replace("_", " ")) for name in names]


class EmailPreferencesForm(forms.Form):
    """One choice per kind of event (immediately, daily, weekly, off) and the member's time
    zone, which sets the local hour digests arrive at."""

    timezone = forms.ChoiceField(label=_("Time zone"), choices=_timezone_choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        current = EmailPreference.all_for(user)
        for kind in EmailKind:
            self.fields[f"kind_{kind.value}"] = forms.ChoiceField(
                label=kind.label,
                choices=EmailFrequency.choices,
                initial=current[kind.value],
                widget=forms.RadioSelect,
            )
        self.fields["timezone"].initial = user.timezone

    def kind_fields(self):
        return [self[name] for name in self.fields if name.startswith("kind_")]

    @transaction.atomic
    def save(self) -> None:
        for kind in EmailKind.values:
            EmailPreference.choose(self.user, kind, self.cleaned_data[f"kind_{kind}"])
        self.user.timezone = self.cleaned_data["timezone"]
        self.user.save(update_fields=["timezone"])
