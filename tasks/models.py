"""Automation tasks, their step logs, the media library and idempotency keys."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from devices.models import Account, Device, Tag
from tasks.storage import material_storage


class TaskQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Task.Status.PENDING)

    def running(self):
        return self.filter(status=Task.Status.RUNNING)

    def due(self, now=None):
        return self.pending().filter(scheduled_at__lte=now or timezone.now())


class Task(models.Model):
    """One script run on one phone as (optionally) one account. Our record of truth."""

    class Status(models.IntegerChoices):
        # The API's numbering, fixed by the TikMatrix contract.
        PENDING = 0, _("pending")
        RUNNING = 1, _("running")
        COMPLETED = 2, _("completed")
        FAILED = 3, _("failed")

    ACTIVE = (Status.PENDING, Status.RUNNING)
    TERMINAL = (Status.COMPLETED, Status.FAILED)

    class Source(models.TextChoices):
        UI = "ui", _("dashboard")
        API = "api", _("API")

    class WaitReason(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled for later")
        DEVICE_BUSY = "device_busy", _("phone busy with another task")
        DEVICE_OFFLINE = "device_offline", _("phone offline")
        CONCURRENCY_LIMIT = "concurrency_limit", _("licence device limit reached")
        NO_AUTOMATION_QUOTA = "no_automation_quota", _("licence plan has no automation")
        ACCOUNT_DAILY_LIMIT = "account_daily_limit", _("account reached its daily limit")

    # The device and account may be deleted later; serial/username keep the history readable.
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    serial = models.CharField(_("serial"), max_length=100)
    account = models.ForeignKey(
        Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    username = models.CharField(_("username"), max_length=100, blank=True)
    script_name = models.CharField(_("script"), max_length=50)
    script_config = models.JSONField(_("script config"), default=dict, blank=True)
    status = models.PositiveSmallIntegerField(_("status"), choices=Status, default=Status.PENDING)
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.UI)
    scheduled_at = models.DateTimeField(_("due at"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    remark = models.TextField(_("remark"), blank=True)
    retry_count = models.PositiveSmallIntegerField(_("retries"), default=0)
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    step = models.CharField(_("step"), max_length=200, blank=True)
    wait_reason = models.CharField(
        _("waiting because"), max_length=30, choices=WaitReason, null=True, blank=True
    )
    # Tasks created by one request share a batch id (fan-out, comment rotation, cancel-all).
    batch_id = models.UUIDField(_("batch"), default=uuid.uuid4, db_index=True)
    batch_position = models.PositiveIntegerField(default=0)
    # Execution bookkeeping, written by the dispatcher and workers.
    host = models.CharField(_("farm host"), max_length=100, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    stop_requested_at = models.DateTimeField(null=True, blank=True)
    stop_requested_by = models.CharField(max_length=150, blank=True)
    app_version = models.CharField(_("app version"), max_length=50, blank=True)
    failure_screenshot = models.FileField(upload_to="failures/%Y/%m/", blank=True)
    failure_hierarchy = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Dispatcher: "due pending tasks, oldest due first". Partial: terminal rows are most.
            models.Index(
                fields=["scheduled_at", "id"], condition=Q(status=0), name="task_pending_due"
            ),
            # Dashboard/API status filters and counts.
            models.Index(fields=["status", "scheduled_at"], name="task_status_due"),
            # "Is this phone busy?" and a phone's history.
            models.Index(fields=["device", "status"], name="task_device_status"),
            # Lists are newest first.
            models.Index(fields=["-created_at", "-id"], name="task_newest"),
            # A list filtered by status (API `?status=3`, the dashboard's tabs), newest first: a
            # seek to the page instead of walking task_newest and skipping other statuses.
            models.Index(fields=["status", "-created_at", "-id"], name="task_status_newest"),
            # Overview chart, "completed/failed since 24 h (or 7 days) ago": a seek per status
            # instead of walking every finished row, and the counts come from the index alone.
            # Partial on `ended_at IS NOT NULL` (finished rows) rather than `status IN (2, 3)`:
            # SQLite cannot prove that a query's bound `status IN (?, ?)` implies the latter, so
            # it would never use it, while any `ended_at >= ?` implies the former.
            models.Index(
                fields=["status", "ended_at"],
                condition=Q(ended_at__isnull=False),
                name="task_ended",
            ),
            # Reaper: running tasks whose heartbeat went stale.
            models.Index(fields=["heartbeat_at"], condition=Q(status=1), name="task_running_hb"),
        ]
        constraints = [
            # One task at a time per phone, enforced by the database itself so that two
            # dispatchers (or two farm hosts) racing for the same phone cannot both win.
            models.UniqueConstraint(
                fields=["device"], condition=Q(status=1), name="task_one_running_per_device"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="task_progress_0_100"),
            models.CheckConstraint(condition=Q(status__lte=3), name="task_status_known"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.script_name} on {self.serial}"

    @property
    def status_text(self) -> str:
        return self.Status(self.status).name.lower()

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    # State transitions. Each is one conditional UPDATE so that a worker finishing, a user
    # stopping and the reaper failing the same task cannot overwrite each other: whoever moves
    # it out of RUNNING first wins, and the others see 0 rows changed.

    def finish(self, remark: str) -> bool:
        return self._end(self.Status.COMPLETED, remark, progress=100)

    def fail(self, reason: str) -> bool:
        return self._end(self.Status.FAILED, reason)

    def _end(self, status: int, remark: str, **extra) -> bool:
        now = timezone.now()
        changed = Task.objects.filter(pk=self.pk, status=self.Status.RUNNING).update(
            status=status, remark=remark[:2000], ended_at=now, updated_at=now, **extra
        )
        if changed:
            self.status, self.remark, self.ended_at = status, remark[:2000], now
            for name, value in extra.items():
                setattr(self, name, value)
        return bool(changed)

    def log(self, step: str, message: str = "", *, progress: int | None = None, level="info"):
        """Append to the step log and move the task's current step/progress."""
        TaskEvent.objects.create(
            task=self, step=step, message=message, progress=progress, level=level
        )
        fields = {"step": step[:200], "updated_at": timezone.now()}
        if progress is not None:
            fields["progress"] = max(0, min(progress, 100))
        Task.objects.filter(pk=self.pk).update(**fields)
        for name, value in fields.items():
            setattr(self, name, value)


class TaskEvent(models.Model):
    """One line of a task's step log."""

    class Level(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        ERROR = "error"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    level = models.CharField(max_length=10, choices=Level, default=Level.INFO)
    step = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["task", "at"], name="taskevent_task_at")]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.step}: {self.message}"


def material_upload_to(instance: Material, filename: str) -> str:
    return f"uploads/{timezone.now():%Y/%m}/{uuid.uuid4().hex[:12]}-{filename}"


class MaterialQuerySet(models.QuerySet):
    def unused(self):
        return self.filter(used_at__isnull=True)


class Material(models.Model):
    """A video or image in the media library, posted once then marked used."""

    class Kind(models.TextChoices):
        VIDEO = "video", _("video")
        IMAGE = "image", _("image")

    # Stored under the first MATERIAL_ROOTS folder (see tasks.storage).
    file = models.FileField(
        _("file"), upload_to=material_upload_to, max_length=500, storage=material_storage
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="materials")
    caption = models.TextField(_("caption"), blank=True)
    username = models.CharField(
        _("for account"), max_length=100, blank=True, help_text=_("Only post from this account")
    )
    sort = models.IntegerField(_("sort"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    used_by_task = models.ForeignKey(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MaterialQuerySet.as_manager()

    class Meta:
        ordering = ["sort", "id"]
        indexes = [
            # Post tasks claim "the next unused material of this kind".
            models.Index(
                fields=["kind", "sort", "id"],
                condition=Q(used_at__isnull=True),
                name="material_unused",
            ),
        ]

    def __str__(self) -> str:
        return self.file.name


class IdempotencyKey(models.Model):
    """A create request's ``Idempotency-Key`` and the answer it got, kept 24 hours.

    Stored in the database, not the cache: the row is written in the same transaction as the
    tasks it describes, so a retry can never see tasks without their key (or the reverse), and
    the unique constraint settles two identical requests racing each other.
    """

    # Who sent it ("user:<id>" or the actor's name): two clients may pick the same key.
    scope = models.CharField(max_length=160)
    key = models.CharField(max_length=255)
    # SHA-256 of the request body: the same key with another body is a client bug, not a retry.
    fingerprint = models.CharField(max_length=64)
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_per_caller"),
        ]
        indexes = [
            # Expired keys are purged by age on every keyed request.
            models.Index(fields=["created_at"], name="idempotency_created"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
