from django.contrib import admin

from tasks.models import Material, Task, TaskEvent


class TaskEventInline(admin.TabularInline):
    model = TaskEvent
    extra = 0
    readonly_fields = ["at", "level", "step", "message", "progress"]
    can_delete = False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "script_name", "serial", "username", "status", "source", "scheduled_at",
                    "progress", "wait_reason"]  # fmt: skip
    list_filter = ["status", "script_name", "source", "wait_reason"]
    search_fields = ["=id", "serial", "username", "remark"]
    date_hierarchy = "created_at"
    raw_id_fields = ["device", "account", "created_by"]
    inlines = [TaskEventInline]
    # The status and what its changes write move only through Task's state methods (which keep
    # racing writers apart), never through a form.
    readonly_fields = ["status", "created_at", "updated_at", "started_at", "ended_at",
                       "heartbeat_at", "stop_requested_at", "stop_requested_by", "run_id",
                       "phone_held", "worker", "effect", "lost_runs"]  # fmt: skip


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ["id", "file", "kind", "size", "username", "sort", "used_at", "set_aside_reason"]
    list_filter = ["kind", ("used_at", admin.EmptyFieldListFilter), "tags"]
    search_fields = ["file", "caption", "username", "sha256"]
    filter_horizontal = ["tags"]
    actions = ["mark_unused"]

    @admin.action(description="Mark selected materials as unused (and no longer set aside)")
    def mark_unused(self, request, queryset):
        queryset.update(used_at=None, used_by_task=None, set_aside_reason="")
