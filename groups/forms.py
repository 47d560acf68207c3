"""Forms of the groups layer: groups, joining, moderation decisions, posts, votes and reports."""

import re
import zoneinfo
from datetime import datetime

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from config.ids import IdMultipleChoiceField
from config.markdown import count_links, validate_markdown
from groups.models import Event, Group, JoinRequest, PostReport, Rsvp, Seat, Sector
from profiles import gazetteer

BARE_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]]+", re.IGNORECASE)

# Paths under gruppi/ that a group's slug must not shadow.
RESERVED_SLUGS = {"nuovo", "miei", "admin", "static", "cerca"}


class GroupForm(forms.ModelForm):
    slug = forms.SlugField(
        label=_("Address"),
        max_length=80,
        required=False,
        help_text=_("Letters, numbers and dashes; left empty, it is made from the name."),
    )

    class Meta:
        model = Group
        fields = [
            "name",
            "slug",
            "sector",
            "visibility",
            "language",
            "description",
            "rules",
            "membership_question",
            "members_create_events",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "rules": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {
            "description": _("Markdown: **bold**, *italics*, lists and links."),
            "rules": _("Markdown. People asking to join must accept them."),
        }

    confirm_opening = forms.BooleanField(required=False)

    def __init__(self, *args, can_change_visibility: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = Sector.objects.all()
        self.fields["sector"].empty_label = None
        self.was_closed = bool(self.instance.pk) and self.instance.is_closed
        if self.instance.pk:
            # The address is part of every link already shared; it does not change.
            del self.fields["slug"]
        if not can_change_visibility:
            # Opening or closing is the owner's alone; a posted value is ignored.
            self.fields["visibility"].disabled = True
            self.fields["visibility"].help_text = _("Only the owner opens or closes the group.")
        if self.was_closed and can_change_visibility:
            posts = self.instance.posts.alive()
            self.fields["confirm_opening"].label = _(
                "If I open the group, everything written in it while it was closed becomes "
                "public, also to visitors who are not logged in: %(questions)d questions, "
                "%(answers)d answers and their comments, the member list and the recent "
                "activity. I confirm."
            ) % {
                "questions": posts.questions().count(),
                "answers": posts.answers().count(),
            }
        else:
            del self.fields["confirm_opening"]

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug") or slugify(self.data.get("name", ""))[:80]
        if not slug:
            raise forms.ValidationError(_("Choose an address made of letters and numbers."))
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("This address is reserved: choose another."))
        if Group.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another group already uses this address."))
        return slug

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("visibility") == Group.Visibility.OPEN:
            cleaned["membership_question"] = ""
            if self.was_closed and not cleaned.get("confirm_opening"):
                self.add_error(
                    "confirm_opening",
                    _("Opening makes the closed discussions public: tick to confirm."),
                )
        return cleaned


class JoinRequestForm(forms.Form):
    accept_rules = forms.BooleanField(
        label=_("I have read the group's rules and I accept them"), required=True
    )
    answer = forms.CharField(
        label=_("Your answer"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note = forms.CharField(
        label=_("A note for the moderators (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        if group.membership_question:
            self.fields["answer"].label = group.membership_question
            self.fields["answer"].required = True
        else:
            del self.fields["answer"]


REJECTION_PRESETS = [
    ("", _("— choose a reason, or write one —")),
    ("off-topic", _("Your profile does not fit the group's sector.")),
    ("answer", _("The answer to the membership question was not enough.")),
    ("incomplete", _("Please complete your profile and ask again.")),
    ("promotion", _("The group is not a place for advertising.")),
]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Decline"))],
        widget=forms.HiddenInput,
    )
    preset = forms.ChoiceField(label=_("Reason"), choices=REJECTION_PRESETS, required=False)
    reason = forms.CharField(label=_("Reason in your words"), max_length=500, required=False)

    def rejection_reason(self) -> str:
        """The reason written, or the preset chosen, or "" (the applicant then gets the
        neutral message): the list's prompt is never a reason."""
        written = self.cleaned_data.get("reason", "").strip()
        if written:
            return written
        preset = self.cleaned_data.get("preset") or ""
        return str(dict(REJECTION_PRESETS)[preset]) if preset else ""


class BulkApproveForm(forms.Form):
    requests = IdMultipleChoiceField(queryset=JoinRequest.objects.none())

    def __init__(self, *args, pending: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requests"].queryset = pending
        self.fields["requests"].error_messages["invalid_choice"] = _(
            "Some of these requests were already decided. Reload the queue."
        )


class MemberActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("remove", _("Remove")),
            ("ban", _("Ban")),
            ("promote", _("Make moderator")),
            ("demote", _("Dismiss moderator")),
            ("transfer", _("Hand ownership over")),
        ]
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


# Q&A ------------------------------------------------------------------------------------------


class PostBodyForm(forms.Form):
    """The Markdown body every post form shares: nesting and the newcomers' link limit."""

    body = forms.CharField(
        label=_("Your answer"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown: **bold**, *italics*, lists, `code` and links."),
    )

    def __init__(self, *args, seat: Seat, **kwargs):
        super().__init__(*args, **kwargs)
        self.seat, self.group = seat, seat.group

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError(_("Write something first."), code="required")
        validate_markdown(body)
        limit = self.group.max_links_for(self.seat)
        # Bare addresses count too: they are copied into a browser just the same.
        bare = len(BARE_URL.findall(body))
        if limit is not None and max(count_links(body), bare) > limit:
            raise forms.ValidationError(
                _(
                    "New members may share at most %(max)d links per post: the group is for "
                    "exchanging advice, not for advertising."
                ),
                code="too_many_links",
                params={"max": limit},
            )
        return body


class QuestionForm(PostBodyForm):
    title = forms.CharField(
        label=_("Your question"),
        max_length=200,
        help_text=_("One clear sentence, ending with a question mark."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    field_order = ["title", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = _("Details")
        self.fields["body"].help_text = _(
            "Context, what you tried, what you need. Markdown: **bold**, lists, `code`, links."
        )

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if len(title) < 5:
            raise forms.ValidationError(_("Write a question of at least 5 characters."))
        return title


class CommentForm(PostBodyForm):
    body = forms.CharField(
        label=_("Comment"),
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A short clarification (600 characters)."),
    )


class VoteForm(forms.Form):
    value = forms.TypedChoiceField(
        choices=[("1", "+1"), ("-1", "-1"), ("0", "0")], coerce=int, empty_value=None
    )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=PostReport.Reason.choices)
    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def wall_clock(value: datetime | None, zone: zoneinfo.ZoneInfo) -> datetime | None:
    """The time as typed (Django read it in the site's zone), placed in the event's zone."""
    if value is None:
        return None
    typed = timezone.localtime(value).replace(tzinfo=None)
    return typed.replace(tzinfo=zone)


class EventForm(forms.ModelForm):
    """An event: times are typed in the event's own time zone and stored in UTC."""

    city = forms.CharField(
        label=_("City"),
        max_length=100,
        required=False,
        help_text=_("A city or town, for example Milano."),
        widget=forms.TextInput(attrs={"list": "event-cities", "autocomplete": "off"}),
    )

    class Meta:
        model = Event
        fields = [
            "title",
            "description",
            "format",
            "city",
            "address",
            "latitude",
            "longitude",
            "online_url",
            "time_zone",
            "starts_at",
            "ends_at",
            "capacity",
            "quorum",
            "quorum_deadline",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "format": forms.RadioSelect,
            "starts_at": DateTimeLocalInput(),
            "ends_at": DateTimeLocalInput(),
            "quorum_deadline": DateTimeLocalInput(),
        }
        help_texts = {
            "description": _("Markdown: **bold**, *italics*, lists and links."),
            "latitude": _("Optional, for a precise pin."),
            "online_url": _("Shown only to members who are going."),
            "quorum_deadline": _("When the quorum is checked; everyone who replied is told."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at", "quorum_deadline"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        event = self.instance
        if event.pk:
            # Shown in the event's own zone, as they were typed.
            for name in ("starts_at", "ends_at", "quorum_deadline"):
                value = getattr(event, name)
                if value is not None:
                    local = value.astimezone(event.tz).replace(tzinfo=None)
                    self.initial[name] = timezone.make_aware(local)
        for name in ("capacity", "quorum"):
            self.fields[name].widget.attrs.update({"min": 1, "max": 100000})
        self.fields["latitude"].widget.attrs.update({"min": -90, "max": 90, "step": "any"})
        self.fields["longitude"].widget.attrs.update({"min": -180, "max": 180, "step": "any"})

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if len(title) < 3:
            raise forms.ValidationError(_("Give the event a title of at least 3 characters."))
        return title

    def clean_description(self) -> str:
        description = self.cleaned_data["description"]
        validate_markdown(description)
        return description

    def clean_capacity(self) -> int | None:
        return self._positive("capacity")

    def clean_quorum(self) -> int | None:
        return self._positive("quorum")

    def _positive(self, name: str) -> int | None:
        value = self.cleaned_data.get(name)
        if value is not None and not 1 <= value <= 100000:
            raise forms.ValidationError(_("Choose a number between 1 and 100000."))
        return value

    def clean(self):
        cleaned = super().clean()
        zone = zoneinfo.ZoneInfo(cleaned.get("time_zone") or "Europe/Rome")
        for name in ("starts_at", "ends_at", "quorum_deadline"):
            if cleaned.get(name) is not None:
                cleaned[name] = wall_clock(cleaned[name], zone)
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must come after the start."))
        if starts and not self.instance.pk and starts < timezone.now():
            self.add_error("starts_at", _("Choose a start in the future."))
        if cleaned.get("format") == Event.Format.ONLINE:
            if not cleaned.get("online_url"):
                self.add_error("online_url", _("An online event needs the link to join."))
            cleaned.update(city="", address="", latitude=None, longitude=None)
            self.instance.geoname_id = None
            self.instance.region = ""
        elif cleaned.get("format") == Event.Format.IN_PERSON:
            cleaned["online_url"] = ""
            self._clean_place(cleaned)
        capacity, quorum = cleaned.get("capacity"), cleaned.get("quorum")
        if capacity and quorum and quorum > capacity:
            self.add_error("quorum", _("The quorum cannot be larger than the seats."))
        deadline = cleaned.get("quorum_deadline")
        if quorum and not deadline:
            self.add_error("quorum_deadline", _("A quorum needs a deadline."))
        if deadline and starts and deadline > starts:
            self.add_error("quorum_deadline", _("The deadline must come before the start."))
        if not quorum:
            cleaned["quorum_deadline"] = None
        if capacity and self.instance.pk and capacity < self.instance.going_count:
            self.add_error(
                "capacity",
                _("%(count)d members are already going: keep at least that many seats.")
                % {"count": self.instance.going_count},
            )
        return cleaned

    def _clean_place(self, cleaned) -> None:
        text = cleaned.get("city", "")
        if not text:
            self.add_error("city", _("An in-person event needs a city."))
            return
        name = text.split(" (")[0]
        place = next(
            (match for match in gazetteer.search(name, limit=8) if match.label == text), None
        ) or gazetteer.find(name, country="")
        if place is None:
            self.add_error(
                "city",
                _("We do not know a city called “%(name)s”: pick one from the list.")
                % {"name": text},
            )
            return
        cleaned["city"] = place.name
        self.instance.geoname_id = place.geoname_id
        self.instance.region = place.region
        lat, lon = cleaned.get("latitude"), cleaned.get("longitude")
        if (lat is None) != (lon is None):
            self.add_error("latitude", _("Give both latitude and longitude, or neither."))
        elif lat is None:
            cleaned["latitude"], cleaned["longitude"] = place.latitude, place.longitude
        elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self.add_error("latitude", _("These are not valid coordinates."))


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(
        choices=[
            (Rsvp.Answer.GOING, _("Going")),
            (Rsvp.Answer.MAYBE, _("Maybe")),
            (Rsvp.Answer.NOT_GOING, _("Not going")),
        ]
    )


class EventCancelForm(forms.Form):
    message = forms.CharField(
        label=_("Message to attendees"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CheckInForm(forms.Form):
    code = forms.CharField(label=_("Check-in code"), max_length=12)


class AttendanceForm(forms.Form):
    present = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [
            (rsvp.user_id, rsvp.user.name) for rsvp in event.attendees().select_related("user")
        ]


class EventFilterForm(forms.Form):
    citta = forms.CharField(label=_("City"), max_length=100, required=False)
    raggio = forms.TypedChoiceField(
        label=_("Within"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", _("Any distance"))] + [(km, f"{km} km") for km in (10, 25, 50, 100, 250)],
    )
    dal = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    al = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    gruppo = forms.SlugField(label=_("Group"), max_length=80, required=False)
    vicino = forms.BooleanField(label=_("Near me"), required=False)
    miei = forms.BooleanField(label=_("Only my groups"), required=False)

    def clean_citta(self):
        text = self.cleaned_data["citta"].strip()
        if not text:
            return None
        matches = gazetteer.search(text.split(" (")[0], limit=1)
        if not matches:
            raise forms.ValidationError(
                _("We do not know a city called “%(name)s”.") % {"name": text}
            )
        return matches[0]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("dal") and cleaned.get("al") and cleaned["al"] < cleaned["dal"]:
            self.add_error("al", _("The end date must come after the start date."))
        return cleaned
