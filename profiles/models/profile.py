"""The living profile: sector, skills, place, needs and offers, languages, experience."""

import secrets
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from config.markdown import render_markdown
from profiles import gazetteer, geo
from profiles.models.accounts import Block, block_between_exists


class Sector(models.Model):
    """A professional sector (settore): a member's main one, and each group's. Editable in the
    admin; seeded with an Italian list."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        # Created by the groups app; the table kept its name when the model moved down.
        db_table = "groups_sector"
        ordering = ["position", "name"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self) -> str:
        return self.name

    @property
    def localized_name(self) -> str:
        if (get_language() or "it").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class SkillQuerySet(models.QuerySet):
    def usable_by(self, user):
        """Approved skills, plus the ones this member proposed and staff have not yet reviewed."""
        if user.is_authenticated:
            return self.filter(Q(is_approved=True) | Q(created_by=user))
        return self.filter(is_approved=True)

    def search(self, text: str):
        return self.filter(name__icontains=text.strip()) if text.strip() else self.none()


class Skill(models.Model):
    """A skill members list on their profile. Members may propose new ones; staff approve or
    merge duplicates in the admin."""

    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    is_approved = models.BooleanField(_("approved"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposed_skills",
        verbose_name=_("proposed by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = SkillQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [models.UniqueConstraint(Lower("name"), name="skill_name_ci_unique")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._unique_slug()
        super().save(*args, **kwargs)

    def _unique_slug(self) -> str:
        base = slugify(self.name)[:70] or "skill"
        slug, n = base, 2
        while Skill.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug

    @classmethod
    def propose(cls, name: str, *, by) -> "Skill":
        """The existing skill of that name (any case), or a new unapproved one by this member."""
        name = " ".join(name.split())[:60]
        existing = cls.objects.filter(name__iexact=name).first()
        if existing:
            return existing
        try:
            with transaction.atomic():
                return cls.objects.create(name=name, created_by=by)
        except IntegrityError:
            # Two members proposed the same skill at once: take the one that won.
            return cls.objects.get(name__iexact=name)

    def merge(self, duplicates) -> int:
        """Move every profile of the duplicates onto this skill, then delete them.

        Returns how many profile links moved. Profiles having both keep one link.
        """
        through = Profile.skills.through
        duplicate_ids = [skill.pk for skill in duplicates if skill.pk != self.pk]
        if not duplicate_ids:
            return 0
        with transaction.atomic():
            already = through.objects.filter(skill=self).values("profile_id")
            moved = (
                through.objects.filter(skill_id__in=duplicate_ids)
                .exclude(profile_id__in=already)
                .values_list("profile_id", flat=True)
                .distinct()
            )
            links = [through(profile_id=pk, skill=self) for pk in moved]
            through.objects.bulk_create(links, ignore_conflicts=True)
            Skill.objects.filter(pk__in=duplicate_ids).delete()
            if not self.is_approved:
                self.is_approved = True
                self.save(update_fields=["is_approved"])
        return len(links)


def avatar_path(instance: "Profile", filename: str) -> str:
    # A fresh random name per upload: old URLs stop working, and names reveal nothing.
    return f"avatars/{instance.user_id}/{secrets.token_urlsafe(12)}.jpg"


linkedin_validator = RegexValidator(
    r"^https://([a-z]{2,3}\.)?linkedin\.com/in/[^/?#\s]+/?$",
    _("Enter your LinkedIn profile address, like https://www.linkedin.com/in/your-name."),
)


class ProfileQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Profiles are for members: every active member's, to any logged-in user, except
        when a block stands between the two, either way.

        Profile.is_visible_to() is the single-object twin; a test keeps them equal.
        """
        if not user.is_authenticated:
            return self.none()
        return self.filter(user__is_active=True).exclude(block_between_exists(user.pk, "user_id"))

    def listed_in_directory(self):
        """Members worth finding in the directory: a verified email and a minimal profile (a
        headline or a sector). Fresh sign-ups with empty profiles stay out until they say who
        they are; their profile page itself stays reachable."""
        from allauth.account.models import EmailAddress

        verified = EmailAddress.objects.filter(user_id=OuterRef("user_id"), verified=True)
        return self.filter(Exists(verified)).filter(~Q(headline="") | Q(sector__isnull=False))

    def with_distance_from(self, latitude: float, longitude: float):
        """Annotate distance_km from a point to each member's public place (never the hidden
        city of a region-only member); None for members without a place."""
        distance = geo.distance_km(latitude, longitude, "public_latitude", "public_longitude")
        return self.annotate(distance_km=distance)

    def within_km(self, latitude: float, longitude: float, km: float):
        """Members whose public place is within km of a point, with distance_km.

        The bounding box comes first so that profile_public_geo_idx limits the rows whose
        exact distance is computed; see `make bench-directory`.
        """
        box = geo.bounding_box(latitude, longitude, km, "public_latitude", "public_longitude")
        return self.filter(box).with_distance_from(latitude, longitude).filter(distance_km__lte=km)


class Completeness(NamedTuple):
    percent: int
    missing: list[tuple[str, str]]  # (section, hint)


class Profile(models.Model):
    """The living profile: what a member knows, does, needs now and can offer."""

    class OpenTo(models.TextChoices):
        COLLABORATIONS = "collaborations", _("Collaborations")
        MENTORING = "mentoring", _("Mentoring")
        CLIENTS = "clients", _("New clients")
        JOBS = "jobs", _("Job opportunities")

    class LocationVisibility(models.TextChoices):
        CITY = "city", _("City")
        REGION = "region", _("Region only")

    class ConnectionsVisibility(models.TextChoices):
        MEMBERS = "members", _("All members")
        CONNECTIONS = "connections", _("My connections")
        NOBODY = "nobody", _("Only me")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    headline = models.CharField(_("headline"), max_length=120, blank=True)
    bio = models.TextField(_("bio"), max_length=2000, blank=True)
    bio_html = models.TextField(editable=False, blank=True)
    sector = models.ForeignKey(
        Sector,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="profiles",
        verbose_name=_("main sector"),
    )
    skills = models.ManyToManyField(
        Skill, related_name="profiles", blank=True, verbose_name=_("skills")
    )
    avatar = models.ImageField(_("photo"), upload_to=avatar_path, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    linkedin_url = models.URLField(
        _("LinkedIn"), max_length=200, blank=True, validators=[linkedin_validator]
    )
    # Location, picked from the offline gazetteer (profiles/gazetteer.py).
    geoname_id = models.PositiveIntegerField(_("GeoNames id"), null=True, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    country = CountryField(_("country"), blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # What others may use for distances: the city, or the region's centre when the member
    # shows only the region. Kept in sync by save(); never expose latitude/longitude.
    public_latitude = models.FloatField(null=True, blank=True, editable=False)
    public_longitude = models.FloatField(null=True, blank=True, editable=False)
    location_visibility = models.CharField(
        _("who sees my city"),
        max_length=10,
        choices=LocationVisibility.choices,
        default=LocationVisibility.CITY,
    )
    connections_visibility = models.CharField(
        _("who sees my connections"),
        max_length=12,
        choices=ConnectionsVisibility.choices,
        default=ConnectionsVisibility.MEMBERS,
        help_text=_(
            "Also who sees which of your connections they share with you; anyone else sees "
            "at most how many you have in common. With “Only me”, nobody is told you are one "
            "of their connections in common with someone else."
        ),
    )
    needs = models.TextField(_("looking for now"), max_length=1000, blank=True)
    offers = models.TextField(_("I can help with"), max_length=1000, blank=True)
    open_to = models.CharField(_("open to"), max_length=20, choices=OpenTo.choices, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(
                    latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180
                ),
                name="profile_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(public_latitude__isnull=True, public_longitude__isnull=True)
                | models.Q(
                    public_latitude__gte=-90,
                    public_latitude__lte=90,
                    public_longitude__gte=-180,
                    public_longitude__lte=180,
                ),
                name="profile_public_coordinates_valid",
            ),
        ]
        indexes = [
            # The directory's default order, newest first: walked from the index, 20 at a time.
            models.Index(fields=["-created_at", "-id"], name="profile_newest_idx"),
            models.Index(
                fields=["public_latitude", "public_longitude"], name="profile_public_geo_idx"
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    def save(self, *args, **kwargs):
        self.bio_html = render_markdown(self.bio) if self.bio else ""
        self.sync_public_location()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra = set()
            if "bio" in update_fields:
                extra.add("bio_html")
            if {"latitude", "longitude", "location_visibility", "region"} & set(update_fields):
                extra |= {"public_latitude", "public_longitude"}
            kwargs["update_fields"] = set(update_fields) | extra
        super().save(*args, **kwargs)

    @property
    def shows_city(self) -> bool:
        return self.location_visibility == self.LocationVisibility.CITY

    @property
    def public_place(self) -> str:
        """The place others may see: the city, or only the region when the member chose so."""
        if self.shows_city:
            return self.city
        return self.region or (self.country.name if self.country else "")

    def is_visible_to(self, user) -> bool:
        if not (user.is_authenticated and self.user.is_active):
            return False
        if user.pk == self.user_id:
            return True
        return not Block.objects.between(user.pk, self.user_id).exists()

    def place_for(self, viewer) -> str:
        """The place as this viewer may see it: the owner always sees their city."""
        if viewer.pk == self.user_id and self.city:
            return f"{self.city}, {self.region}" if self.region else self.city
        return self.public_place

    @property
    def website_label(self) -> str:
        """The site's host, without "www.", to show as the link text."""
        host = urlsplit(self.website).hostname or self.website
        return host.removeprefix("www.")

    @property
    def card_signature(self) -> tuple:
        """Everything a member's card shows of them (their avatar, name, verified badges,
        headline and place: profiles/avatar.html, profiles/badges.html), for the key of a
        cached card (groups.fragments.prefetch_keyed): any change makes a new key."""
        user = self.user
        return (
            user.pk,
            user.name,
            user.verified_domain,
            user.vat_checked_at is not None,
            self.avatar.name,
            self.headline,
            self.public_place,
        )

    @property
    def initials(self) -> str:
        words = [word for word in self.user.name.replace(".", " ").split() if word[:1].isalnum()]
        return "".join(word[0] for word in words[:2]).upper() or "?"

    @property
    def avatar_colour(self) -> int:
        """One of eight CSS colour classes for the initials avatar, stable per member."""
        return self.user_id % 8

    # (section, test, hint): what the completeness meter checks, in the order it suggests.
    COMPLETENESS_CHECKS = [
        ("avatar", lambda p: bool(p.avatar), _("Add a photo: people answer faces.")),
        ("about", lambda p: bool(p.headline), _("Write a headline: what you do in one line.")),
        ("about", lambda p: bool(p.sector_id), _("Choose your main sector.")),
        ("skills", lambda p: len(p.skills.all()) >= 3, _("List at least three skills.")),
        ("location", lambda p: bool(p.city), _("Add your city, so members nearby find you.")),
        ("needs", lambda p: bool(p.needs), _("Say what you are looking for now.")),
        ("needs", lambda p: bool(p.offers), _("Say what you can help with.")),
        ("experience", lambda p: len(p.experiences.all()) >= 1, _("Add your current role.")),
        ("about", lambda p: bool(p.bio), _("Tell your story in a short bio.")),
        ("about", lambda p: len(p.languages.all()) >= 1, _("Add the languages you speak.")),
        ("needs", lambda p: bool(p.open_to), _("Say what you are open to.")),
        ("links", lambda p: bool(p.website or p.linkedin_url), _("Link your site or LinkedIn.")),
    ]

    @cached_property
    def completeness(self) -> Completeness:
        missing = [
            (section, hint) for section, done, hint in self.COMPLETENESS_CHECKS if not done(self)
        ]
        total = len(self.COMPLETENESS_CHECKS)
        return Completeness(round(100 * (total - len(missing)) / total), missing)

    def sync_public_location(self) -> None:
        """Set public_* from the city, or from the region's centre for region-only members,
        so that a distance to a region-only member never reveals their city."""
        if self.latitude is None or self.longitude is None:
            self.public_latitude = self.public_longitude = None
        elif self.shows_city:
            self.public_latitude, self.public_longitude = self.latitude, self.longitude
        else:
            centre = gazetteer.region_centroid(str(self.country), self.region)
            self.public_latitude, self.public_longitude = centre or (None, None)

    def set_location(self, place) -> None:
        """Take city, region, country and coordinates from a gazetteer Place (or None to clear).
        The caller saves."""
        if place is None:
            self.geoname_id = None
            self.city = self.region = ""
            self.country = ""
            self.latitude = self.longitude = None
        else:
            self.geoname_id = place.geoname_id
            self.city = place.name
            self.region = place.region
            self.country = place.country
            self.latitude, self.longitude = place.latitude, place.longitude
        self.sync_public_location()


class SpokenLanguage(models.Model):
    """A language a member speaks, one row each: queryable as profile__languages__code="en"."""

    class Code(models.TextChoices):
        ITALIAN = "it", pgettext_lazy("spoken language", "Italian")
        ENGLISH = "en", pgettext_lazy("spoken language", "English")
        FRENCH = "fr", pgettext_lazy("spoken language", "French")
        GERMAN = "de", pgettext_lazy("spoken language", "German")
        SPANISH = "es", pgettext_lazy("spoken language", "Spanish")
        PORTUGUESE = "pt", pgettext_lazy("spoken language", "Portuguese")
        DUTCH = "nl", pgettext_lazy("spoken language", "Dutch")
        ROMANIAN = "ro", pgettext_lazy("spoken language", "Romanian")
        ALBANIAN = "sq", pgettext_lazy("spoken language", "Albanian")
        POLISH = "pl", pgettext_lazy("spoken language", "Polish")
        UKRAINIAN = "uk", pgettext_lazy("spoken language", "Ukrainian")
        RUSSIAN = "ru", pgettext_lazy("spoken language", "Russian")
        GREEK = "el", pgettext_lazy("spoken language", "Greek")
        SLOVENIAN = "sl", pgettext_lazy("spoken language", "Slovenian")
        CROATIAN = "hr", pgettext_lazy("spoken language", "Croatian")
        SERBIAN = "sr", pgettext_lazy("spoken language", "Serbian")
        ARABIC = "ar", pgettext_lazy("spoken language", "Arabic")
        CHINESE = "zh", pgettext_lazy("spoken language", "Chinese")
        JAPANESE = "ja", pgettext_lazy("spoken language", "Japanese")
        HINDI = "hi", pgettext_lazy("spoken language", "Hindi")
        TURKISH = "tr", pgettext_lazy("spoken language", "Turkish")
        SIGN_ITALIAN = "ise", pgettext_lazy("spoken language", "Italian Sign Language")

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="languages")
    code = models.CharField(_("language"), max_length=5, choices=Code.choices)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("spoken language")
        verbose_name_plural = _("spoken languages")
        constraints = [
            models.UniqueConstraint(fields=["profile", "code"], name="spokenlanguage_unique"),
        ]

    def __str__(self) -> str:
        return self.get_code_display()


class Experience(models.Model):
    """A short entry of a member's career: role, organisation, years."""

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="experiences")
    role = models.CharField(_("role"), max_length=100)
    organisation = models.CharField(_("organisation"), max_length=100, blank=True)
    start_year = models.PositiveSmallIntegerField(_("from (year)"))
    end_year = models.PositiveSmallIntegerField(
        _("to (year)"), null=True, blank=True, help_text=_("Leave empty if current.")
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "-start_year", "pk"]
        verbose_name = _("experience")
        verbose_name_plural = _("experiences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_year__gte=1940, start_year__lte=2100),
                name="experience_start_year_sane",
            ),
            models.CheckConstraint(
                condition=models.Q(end_year__isnull=True)
                | models.Q(end_year__gte=models.F("start_year"), end_year__lte=2100),
                name="experience_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} · {self.organisation}" if self.organisation else self.role

    @property
    def is_current(self) -> bool:
        return self.end_year is None


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        Profile.objects.get_or_create(user=instance)
