import json

from django.contrib import admin
from django.utils.html import format_html

from core.jsonview import masked
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
                       "heartbeat_at", "stop_requested_at", "stop_requested_by",
                       "config"]  # fmt: skip
    # The config is shown masked, like on every page, and so cannot be a form field: saving
    # would write the mask over the real secrets. A different config is a new task.
    exclude = ["script_config"]

    @admin.display(description="script config")
    def config(self, task: Task) -> str:
        shown = json.dumps(masked(task.script_config or {}), indent=2, ensure_ascii=False)
        return format_html('<pre class="code">{}</pre>', shown)


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ["id", "file", "kind", "size", "username", "sort", "used_at"]
    list_filter = ["kind", ("used_at", admin.EmptyFieldListFilter), "tags"]
    search_fields = ["file", "caption", "username", "sha256"]
    filter_horizontal = ["tags"]
    actions = ["mark_unused"]

    @admin.action(description="Mark selected materials as unused")
    def mark_unused(self, request, queryset):
        queryset.update(used_at=None, used_by_task=None)
