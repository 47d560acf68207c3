"""Django admin for groups, memberships, join requests, bans, the moderation log, Q&A and events."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.ids import BoundedIdsAdmin
from groups.models import (
    Answer,
    Ban,
    Comment,
    Event,
    Group,
    JoinRequest,
    Membership,
    ModerationLog,
    PostReport,
    PostRevision,
    Question,
    Rsvp,
    Vote,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "joined_at"]


@admin.register(Group)
class GroupAdmin(BoundedIdsAdmin):
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
class MembershipAdmin(BoundedIdsAdmin):
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
class JoinRequestAdmin(BoundedIdsAdmin):
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
class BanAdmin(BoundedIdsAdmin):
    list_display = ["user", "group", "banned_by", "reason", "created_at"]
    list_filter = ["group__sector"]
    search_fields = ["user__email", "user__display_name", "group__name", "reason"]
    autocomplete_fields = ["user", "group", "banned_by"]
    list_select_related = ["user", "group", "banned_by"]


@admin.register(ModerationLog)
class ModerationLogAdmin(BoundedIdsAdmin):
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


# Q&A ----------------------------------------------------------------------------------------


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", _("Deleted")), ("no", _("Visible"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class PostRevisionInline(admin.TabularInline):
    model = PostRevision
    extra = 0
    fields = ["created_at", "edited_by", "title", "body"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PostAdmin(BoundedIdsAdmin):
    """Questions and answers are both Posts; each gets its own admin list."""

    list_filter = ["group__visibility", "group", DeletedFilter, "created_at"]
    search_fields = ["title", "body", "author__email", "author__display_name", "group__name"]
    autocomplete_fields = ["group", "author"]
    list_select_related = ["group", "author"]
    readonly_fields = ["score", "answer_count", "is_accepted", "edited_at", "deleted_at"]
    date_hierarchy = "created_at"
    inlines = [PostRevisionInline]
    actions = ["soft_delete_selected"]

    def has_add_permission(self, request):
        # Posts come from the group pages, which check seats, links and counters.
        return False

    @admin.action(description=_("Delete the selected posts (softly)"))
    def soft_delete_selected(self, request, queryset):
        deleted = sum(post.soft_delete(by=request.user) for post in queryset)
        self.message_user(
            request,
            ngettext("%(count)d post deleted.", "%(count)d posts deleted.", deleted)
            % {"count": deleted},
            messages.SUCCESS,
        )


@admin.register(Question)
class QuestionAdmin(PostAdmin):
    list_display = ["title", "group", "author", "answer_count", "score", "created_at", "deleted_at"]
    fields = ["group", "author", "title", "body", *PostAdmin.readonly_fields]


@admin.register(Answer)
class AnswerAdmin(PostAdmin):
    list_display = ["__str__", "question", "group", "author", "score", "is_accepted", "created_at"]
    list_filter = ["is_accepted", *PostAdmin.list_filter]
    list_select_related = ["group", "author", "question"]
    fields = ["group", "question", "author", "body", *PostAdmin.readonly_fields]
    raw_id_fields = ["question"]


@admin.register(Comment)
class CommentAdmin(BoundedIdsAdmin):
    list_display = ["__str__", "post", "author", "created_at", "deleted_at"]
    list_filter = ["post__group", DeletedFilter, "created_at"]
    search_fields = ["body", "author__email", "author__display_name"]
    autocomplete_fields = ["author"]
    raw_id_fields = ["post"]
    list_select_related = ["post", "author"]
    readonly_fields = ["deleted_at", "deleted_by"]


@admin.register(Vote)
class VoteAdmin(BoundedIdsAdmin):
    list_display = ["user", "post", "value", "created_at"]
    list_filter = ["value", "post__kind", "post__group"]
    search_fields = ["user__email", "user__display_name", "post__title", "post__body"]
    list_select_related = ["user", "post"]

    # Votes change scores: they are cast on the site, under a row lock, never here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PostReport)
class PostReportAdmin(BoundedIdsAdmin):
    list_display = ["post", "reason", "reporter", "created_at", "resolved_at", "resolved_by"]
    list_filter = ["reason", "post__group", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["note", "post__title", "post__body", "reporter__email"]
    raw_id_fields = ["post"]
    autocomplete_fields = ["reporter", "resolved_by"]
    list_select_related = ["post", "reporter", "resolved_by"]


# Events -------------------------------------------------------------------------------------


class RsvpInline(admin.TabularInline):
    model = Rsvp
    extra = 0
    fields = ["user", "answer", "answered_at", "attended_at"]
    readonly_fields = ["user", "answer", "answered_at", "attended_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(BoundedIdsAdmin):
    list_display = ["title", "group", "starts_at", "format", "city", "going_count", "status"]
    list_filter = ["status", "format"]
    search_fields = ["title", "group__name", "city"]
    autocomplete_fields = ["group", "organiser"]
    list_select_related = ["group"]
    date_hierarchy = "starts_at"
    readonly_fields = ["going_count", "reminded_at"]
    inlines = [RsvpInline]
