"""Django admin for members, sectors, the outbox, profiles and skills."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.ids import BoundedIdsAdmin
from profiles.models import (
    Experience,
    OutboxTask,
    OutgoingEmail,
    Profile,
    Sector,
    Skill,
    SpokenLanguage,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]


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
