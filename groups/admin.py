from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from groups.models import Ban, Group, JoinRequest, Membership, ModerationLog, Sector


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name", "name_en"]
    prepopulated_fields = {"slug": ["name"]}


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "joined_at"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "sector",
        "visibility",
        "language",
        "member_count",
        "pending_count",
        "is_featured",
        "created_at",
    ]
    list_filter = ["visibility", "sector", "language", "is_featured"]
    search_fields = ["name", "slug", "description"]
    autocomplete_fields = ["sector", "creator"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["member_count", "pending_count"]
    date_hierarchy = "created_at"
    inlines = [MembershipInline]

    def save_related(self, request, form, formsets, change):
        # Inline membership edits bypass the domain methods: recount from the rows.
        super().save_related(request, form, formsets, change)
        form.instance.recount()


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "role", "joined_at"]
    list_filter = ["role", "group__visibility", "group__sector"]
    search_fields = ["user__email", "user__display_name", "group__name"]
    autocomplete_fields = ["user", "group"]
    list_select_related = ["user", "group"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        obj.group.recount()

    def delete_model(self, request, obj):
        group = obj.group
        super().delete_model(request, obj)
        group.recount()

    def delete_queryset(self, request, queryset):
        groups = list(Group.objects.filter(memberships__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        for group in groups:
            group.recount()


@admin.register(JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "status", "created_at", "decided_at", "decided_by"]
    list_filter = ["status", "group__visibility", "group__sector"]
    search_fields = ["user__email", "user__display_name", "group__name", "answer"]
    autocomplete_fields = ["user", "group", "decided_by"]
    list_select_related = ["user", "group", "decided_by"]
    readonly_fields = ["status", "decided_at", "decided_by", "created_at"]
    actions = ["approve_selected"]

    def has_add_permission(self, request):
        # Requests come from the join form, which checks bans, cooldowns and counters.
        return False

    @admin.action(description=_("Approve the selected pending requests"))
    def approve_selected(self, request, queryset):
        approved = sum(
            join_request.approve(by=request.user)
            for join_request in queryset.pending().select_related("group", "user")
        )
        self.message_user(
            request,
            ngettext("%(count)d request approved.", "%(count)d requests approved.", approved)
            % {"count": approved},
            messages.SUCCESS,
        )


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "banned_by", "reason", "created_at"]
    list_filter = ["group__sector"]
    search_fields = ["user__email", "user__display_name", "group__name", "reason"]
    autocomplete_fields = ["user", "group", "banned_by"]
    list_select_related = ["user", "group", "banned_by"]


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    list_display = ["at", "group", "actor", "action", "target", "reason"]
    list_filter = ["action", "group__sector"]
    search_fields = ["group__name", "actor__email", "target__email", "reason"]
    autocomplete_fields = ["group", "actor", "target"]
    list_select_related = ["group", "actor", "target"]
    date_hierarchy = "at"

    # The log is written by the moderation actions themselves and never edited.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
