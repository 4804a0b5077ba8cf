import json

from django.contrib import admin
from django.urls import reverse
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
                       "heartbeat_at", "stop_requested_at", "stop_requested_by", "run_id",
                       "phone_held", "worker", "effect", "lost_runs", "config"]  # fmt: skip
    # The config is shown masked, like on every page, and so cannot be a form field: saving
    # would write the mask over the real secrets. A different config is a new task.
    exclude = ["script_config"]

    @admin.display(description="script config")
    def config(self, task: Task) -> str:
        shown = json.dumps(masked(task.script_config or {}), indent=2, ensure_ascii=False)
        return format_html('<pre class="code">{}</pre>', shown)


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "file_link",
        "kind",
        "size",
        "username",
        "sort",
        "used_at",
        "set_aside_reason",
    ]
    list_filter = ["kind", ("used_at", admin.EmptyFieldListFilter), "tags"]
    search_fields = ["file", "caption", "username", "sha256"]
    filter_horizontal = ["tags"]
    actions = ["mark_unused"]
    # Material files have no URL of their own (they live outside MEDIA_ROOT and are streamed
    # to signed-in members by the dashboard), so the admin's file widget, which links to
    # file.url, cannot show them: the link goes to the dashboard's view instead.
    exclude = ["file"]
    readonly_fields = ["file_link", "kind", "size", "sha256"]

    # Uploads go through the dashboard or the API, which check the type, size and contents.
    def has_add_permission(self, request):
        return False

    @admin.display(description="file", ordering="file")
    def file_link(self, material: Material) -> str:
        url = reverse("material-file", kwargs={"pk": material.pk})
        return format_html('<a href="{}">{}</a>', url, material.file.name)

    @admin.action(description="Mark selected materials as unused (and no longer set aside)")
    def mark_unused(self, request, queryset):
        queryset.update(used_at=None, used_by_task=None, set_aside_reason="")
