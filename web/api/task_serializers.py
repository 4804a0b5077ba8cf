"""Task and material shapes, in and out, with TikMatrix's field names."""

from __future__ import annotations

import json

from rest_framework import serializers

from core.jsonview import abridged, masked
from tasks.actions import MAX_BATCH, MAX_ID
from tasks.models import Material, Task


class StrictIntegerField(serializers.IntegerField):
    """An integer as JSON sends it: ``"5"``, ``5.5`` and ``true`` are refused."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class TaskCreateSerializer(serializers.Serializer):
    serials = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        allow_empty=False,
        max_length=5000,
        help_text="Device serials (device mode). Give this or `usernames`.",
    )
    usernames = serializers.ListField(
        child=serializers.CharField(max_length=101),
        required=False,
        allow_empty=False,
        max_length=5000,
        help_text="Account usernames, with or without `@` (account mode).",
    )
    script_name = serializers.CharField(
        help_text="`post`, `follow`, `unfollow`, `account_warmup` or `comment`."
    )
    script_config = serializers.DictField(
        help_text="Per-script options (see the *Config schemas); defaults are filled in, "
        "unknown keys ignored (named in the answer's `ignored_keys`)."
    )
    enable_multi_account = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Device mode only: one task per enabled account on each phone.",
    )
    start_time = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text='"HH:MM" in the server\'s TIME_ZONE (past today → tomorrow), or ISO-8601.',
    )
    min_interval = StrictIntegerField(
        required=False, default=0, min_value=0, help_text="Minutes (legacy)."
    )
    max_interval = StrictIntegerField(
        required=False, default=0, min_value=0, help_text="Minutes (legacy)."
    )

    def validate(self, attrs: dict) -> dict:
        if ("serials" in attrs) == ("usernames" in attrs):
            message = "give either serials or usernames, not both"
            if "serials" not in attrs:
                message = "give serials (device mode) or usernames (account mode)"
            raise serializers.ValidationError({"serials": [message], "usernames": [message]})
        return attrs


class CreatedSerializer(serializers.Serializer):
    task_ids = serializers.ListField(child=serializers.IntegerField())
    created_count = serializers.IntegerField()
    ignored_keys = serializers.ListField(
        child=serializers.CharField(),
        help_text="[ours] `script_config` keys this script does not know: not stored.",
    )


class TaskSerializer(serializers.ModelSerializer):
    device_index = serializers.IntegerField(source="device.index", allow_null=True, read_only=True)
    username = serializers.SerializerMethodField()
    script_config = serializers.SerializerMethodField()
    script_args = serializers.SerializerMethodField()
    script_config_truncated = serializers.SerializerMethodField()
    status_text = serializers.CharField(read_only=True)
    start_time = serializers.DateTimeField(source="started_at", allow_null=True, read_only=True)
    end_time = serializers.DateTimeField(source="ended_at", allow_null=True, read_only=True)
    failure_screenshot_url = serializers.SerializerMethodField()
    failure_hierarchy_url = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id", "serial", "device_index", "username", "script_name", "script_config",
            "script_args", "script_config_truncated", "status", "status_text", "source",
            "scheduled_at", "start_time", "end_time", "remark", "retry_count", "progress", "step",
            "wait_reason",
            "app_version", "failure_screenshot_url", "failure_hierarchy_url",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_username(self, task: Task) -> str | None:
        return task.username or None

    def _evidence_url(self, task: Task, what: str) -> str | None:
        path = f"/api/v1/task/{task.pk}/failure-{what}"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_failure_screenshot_url(self, task: Task) -> str | None:
        """[ours] Where the screenshot of the failure is, when there is one."""
        return self._evidence_url(task, "screenshot") if task.failure_screenshot else None

    def get_failure_hierarchy_url(self, task: Task) -> str | None:
        """[ours] Where the UI hierarchy of the failure is, when there is one."""
        return self._evidence_url(task, "hierarchy") if task.failure_hierarchy else None

    def to_representation(self, task: Task) -> dict:
        # The config as shown, worked out once per row for the three fields below: secrets
        # masked, and in a list cut to size when large (script_config_truncated says so).
        config = masked(task.script_config or {})
        in_list = isinstance(self.parent, serializers.ListSerializer)
        self._shown = abridged(config) if in_list else (config, False)
        return super().to_representation(task)

    def get_script_config(self, task: Task) -> dict:
        """Secrets masked; in a list, cut to size when large (see script_config_truncated)."""
        return self._shown[0]

    def get_script_args(self, task: Task) -> str:
        """The config as a JSON string: what TikMatrix's own clients read."""
        return json.dumps(self._shown[0], ensure_ascii=False)

    def get_script_config_truncated(self, task: Task) -> bool:
        """[ours] True in a list when the config was too large to list whole: read the task
        itself (``GET /api/v1/task/{id}``) for all of it."""
        return self._shown[1]


class StatsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    running = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()


class BatchDeleteSerializer(serializers.Serializer):
    task_ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=MAX_BATCH,
    )


class DeletedSerializer(serializers.Serializer):
    deleted_count = serializers.IntegerField()
    not_found = serializers.ListField(child=serializers.IntegerField(), required=False)


class RetriedSerializer(serializers.Serializer):
    retried_count = serializers.IntegerField()


class MaterialSerializer(serializers.ModelSerializer):
    path = serializers.SerializerMethodField()
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    used = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = [
            "id", "path", "kind", "size", "sha256", "tags", "caption", "username", "sort",
            "used", "used_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_path(self, material: Material) -> str:
        """The absolute path on the server, valid as-is in a post's ``material_list``."""
        from tasks.forms import material_storage

        return material_storage().path(material.file.name)

    def get_used(self, material: Material) -> bool:
        return material.used_at is not None


class MaterialUploadSerializer(serializers.Serializer):
    """Documents the multipart upload; the dashboard's MaterialUploadForm validates it."""

    file = serializers.FileField(help_text="mp4/mov video or jpg/png image.")
    tags = serializers.CharField(required=False, help_text="Comma-separated tag names.")
    caption = serializers.CharField(required=False)
    username = serializers.CharField(required=False, help_text="Only post from this account.")
    sort = serializers.IntegerField(required=False, default=0)
