from django.contrib import admin

from connections.models import Block, Connection, ConnectionRequest, Dismissal, Suggestion


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the models' own methods: staff look, and may delete, never edit."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Connection)
class ConnectionAdmin(ReadOnlyAdmin):
    list_display = ["user_low", "user_high", "created_at"]
    list_select_related = ["user_low", "user_high"]
    search_fields = ["user_low__email", "user_low__display_name", "user_high__email"]
    search_fields += ["user_high__display_name"]
    date_hierarchy = "created_at"

    # Through the model, so that suggestions are refreshed like any other removal.
    def delete_model(self, request, obj) -> None:
        Connection.remove(obj.user_low, obj.user_high)

    def delete_queryset(self, request, queryset) -> None:
        for connection in queryset.select_related("user_low", "user_high"):
            Connection.remove(connection.user_low, connection.user_high)


@admin.register(ConnectionRequest)
class ConnectionRequestAdmin(ReadOnlyAdmin):
    list_display = ["sender", "recipient", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["sender", "recipient"]
    search_fields = ["sender__email", "sender__display_name", "recipient__email"]
    search_fields += ["recipient__display_name", "message"]
    date_hierarchy = "created_at"


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ["blocker", "blocked", "created_at"]
    list_select_related = ["blocker", "blocked"]
    search_fields = ["blocker__email", "blocker__display_name", "blocked__email"]
    search_fields += ["blocked__display_name"]

    def delete_model(self, request, obj) -> None:
        Block.unblock(obj.blocker, obj.blocked)

    def delete_queryset(self, request, queryset) -> None:
        for block in queryset.select_related("blocker", "blocked"):
            Block.unblock(block.blocker, block.blocked)


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyAdmin):
    list_display = ["user", "rank", "candidate", "mutual_count", "shared_groups"]
    list_display += ["same_city", "same_sector", "complementary", "computed_at"]
    list_select_related = ["user", "candidate"]
    list_filter = ["same_city", "same_sector", "complementary"]
    search_fields = ["user__email", "user__display_name"]
    ordering = ["user", "rank"]


@admin.register(Dismissal)
class DismissalAdmin(ReadOnlyAdmin):
    list_display = ["user", "candidate", "created_at"]
    list_select_related = ["user", "candidate"]
    search_fields = ["user__email", "user__display_name", "candidate__email"]
