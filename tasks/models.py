"""Automation tasks (and the state changes of their life), their step logs, the media library
and idempotency keys.

A task's status only changes through the methods of :class:`Task` and :class:`TaskQuerySet`
below (claim, beat, finish, fail, stop, retry, reap, abandon); the dispatcher, the workers and
``tasks.actions`` call them, nothing else writes ``status``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import Code, DomainError
from devices.models import Account, Device, Tag
from tasks.storage import material_storage


class InvalidTransition(DomainError):
    """A state change the task's status does not allow (stop a completed task, retry a running
    one). The API answers 40901; a page shows the message."""

    code = Code.INVALID_STATE


class TaskQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Task.Status.PENDING)

    def running(self):
        return self.filter(status=Task.Status.RUNNING)

    def failed(self):
        return self.filter(status=Task.Status.FAILED)

    def due(self, now=None):
        return self.pending().filter(scheduled_at__lte=now or timezone.now())

    def stale(self, now=None):
        """Running tasks whose worker has not beaten for HEARTBEAT_STALE_SECONDS (killed,
        crashed, host lost), or never did."""
        cutoff = (now or timezone.now()) - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS)
        return self.running().filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True))

    def orphaned(self):
        """Waiting tasks whose phone was deleted: they can never run."""
        return self.pending().filter(device__isnull=True)

    def auto_retryable(self):
        """Failed tasks the automatic retry may take: nobody stopped them, retries are left."""
        return self.failed().filter(
            stop_requested_at__isnull=True, retry_count__lt=settings.AUTO_RETRY_MAX
        )

    def count_by_status(self) -> dict[str, int]:
        """``{"pending": n, "running": n, "completed": n, "failed": n}`` in one GROUP BY.

        One GROUP BY status walks the narrow (status, …) index once; a COUNT … FILTER per
        status makes SQLite scan a wider one, about twice as slow (bench/README).
        """
        by_status = dict(self.order_by().values_list("status").annotate(n=Count("id")))
        return {status.name.lower(): by_status.get(status, 0) for status in Task.Status}

    # Bulk state changes: the same conditional UPDATEs as Task's methods, on many rows.

    def retry(self, *, by: str | None, due_at: datetime | None = None) -> int:
        """Failed → pending, due at ``due_at`` (now by default), retry_count + 1, every trace
        of the last run cleared. ``by`` is who asked; ``None`` is the automatic retry, which
        takes only :meth:`auto_retryable` tasks. Returns how many; writes no step log (see
        :meth:`Task.retry` for one task)."""
        rows = self.failed() if by is not None else self.auto_retryable()
        return rows.update(**_requeued(due_at or timezone.now()))

    def reap(self, now: datetime | None = None) -> list[int]:
        """Running → failed for those of these tasks whose heartbeat is :meth:`stale` at
        ``now``: their worker died, and their phone is freed. Returns the ids failed. Row by
        row, each UPDATE checking staleness again: a heartbeat that arrives meanwhile saves its
        task, and each remark names its host."""
        now = now or timezone.now()
        reaped = []
        for task in self.stale(now):
            where = f" on {task.host}" if task.host else ""
            reason = (
                f"the worker{where} stopped responding for {settings.HEARTBEAT_STALE_SECONDS}s "
                "(killed, crashed or host lost); the phone was freed"
            )
            still_stale = Task.objects.filter(pk=task.pk).stale(now)
            if still_stale.update(**_ended(Task.Status.FAILED, reason)):
                task.log("failed", "reaped: heartbeat stale", level="error")
                reaped.append(task.pk)
        return reaped

    def abandon(self, reason: str) -> int:
        """Pending → failed with ``reason``: waiting tasks that can never run (use on
        :meth:`orphaned`). Returns how many."""
        return self.pending().update(**_ended(Task.Status.FAILED, reason), wait_reason=None)


# What each state change writes (and nothing else), shared by Task's methods and the bulk ones.


def _claimed(host: str, now: datetime) -> dict:
    return {
        "status": Task.Status.RUNNING,
        "started_at": now,
        "ended_at": None,
        "heartbeat_at": now,
        "host": host,
        "wait_reason": None,
        "progress": 0,
        "step": "starting",
        "remark": "",
        "updated_at": now,
    }


def _ended(status: int, remark: str, **extra) -> dict:
    now = timezone.now()
    return {"status": status, "remark": remark[:2000], "ended_at": now, "updated_at": now, **extra}


def _stopped(who: str) -> dict:
    now = timezone.now()
    return {
        **_ended(Task.Status.FAILED, f"stopped by {who}"),
        "wait_reason": None,
        "stop_requested_at": now,
        "stop_requested_by": who[:150],
    }


def _requeued(due_at: datetime) -> dict:
    """A retry starts afresh: nothing of the last run (host, heartbeat, step, remark, stop)
    stays on the row; the step log keeps the story."""
    now = timezone.now()
    return {
        "status": Task.Status.PENDING,
        "retry_count": F("retry_count") + 1,
        "scheduled_at": due_at,
        "wait_reason": Task.WaitReason.SCHEDULED if due_at > now else None,
        "started_at": None,
        "ended_at": None,
        "heartbeat_at": None,
        "host": "",
        "progress": 0,
        "step": "",
        "remark": "",
        "stop_requested_at": None,
        "stop_requested_by": "",
        "updated_at": now,
    }


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
    # Execution bookkeeping, written by the state changes below.
    host = models.CharField(_("farm host"), max_length=100, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Set when a person (or an API caller) stopped the task, and only then: the automatic
    # retry never brings such a task back. A retry clears them.
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

    # State changes. Each is one conditional UPDATE on the status it leaves, writing only the
    # fields that change, so racing writers (dispatchers, a worker, the reaper, people) cannot
    # overwrite each other: the first to move the row wins, the others change 0 rows.
    #
    # What losing looks like depends on who lost:
    # - The machinery (claim, beat, finish, fail) returns False. Losing is part of its normal
    #   life: another dispatcher claimed first, a person stopped the task the worker runs.
    # - A person (stop, retry) gets InvalidTransition, whose message says why; the automatic
    #   retry shares retry() and catches it.
    # A worker's changes (beat, finish, fail) also check ``started_at``: they apply to the run
    # it was handed, never to a later run of the same task after a stop and a retry.

    def claim(self, host: str, now: datetime | None = None) -> bool:
        """Pending → running on ``host``. False if another dispatcher got there first: the
        task is no longer pending, or its phone already runs another task (the database's
        one-running-task-per-phone constraint)."""
        fields = _claimed(host, now or timezone.now())
        try:
            # A savepoint: losing the phone to another dispatcher must not spoil the caller's
            # transaction (the dispatcher claims many tasks in one).
            with transaction.atomic():
                return self._transition((self.Status.PENDING,), fields)
        except IntegrityError:
            return False

    def beat(self) -> bool:
        """The worker is alive: a fresh heartbeat on a running task. False once the task
        stopped running (stopped by a person, reaped): the worker then cancels its script."""
        fields = {"heartbeat_at": timezone.now()}
        return self._transition((self.Status.RUNNING,), fields, this_run=True)

    def finish(self, remark: str) -> bool:
        """Running → completed. False if the run ended otherwise first (stopped, reaped)."""
        fields = _ended(self.Status.COMPLETED, remark, progress=100)
        if not self._transition((self.Status.RUNNING,), fields, this_run=True):
            return False
        self.log("completed", remark, progress=100)
        return True

    def fail(self, reason: str) -> bool:
        """Running → failed with ``reason``. False if the run ended otherwise first."""
        fields = _ended(self.Status.FAILED, reason)
        if not self._transition((self.Status.RUNNING,), fields, this_run=True):
            return False
        self.log("failed", reason, level="error")
        return True

    def stop(self, by: str) -> Status:
        """Pending or running → failed, remark ``stopped by <by>``, and marked as stopped by a
        person (``stop_requested_at``/``_by``), which the automatic retry respects. A running
        task's worker sees it at its next heartbeat and cancels the script. Returns the status
        the task left; InvalidTransition if it was already completed or failed."""
        # A pending task may be claimed between our read and our write: then stop it running.
        for _attempt in range(3):
            leaving = self.status
            if leaving not in self.ACTIVE:
                raise InvalidTransition(
                    f"task {self.pk} is {self.status_text}: only pending or "
                    "running tasks can be stopped"
                )
            if self._transition((leaving,), _stopped(by)):
                self.log("stopped", self.remark, level="warning")
                return self.Status(leaving)
            self._reread_status()
        raise InvalidTransition(f"task {self.pk} changed state while stopping it; try again")

    def retry(self, *, by: str | None, due_at: datetime | None = None) -> None:
        """Failed → pending: the one retry, for a person (``by`` = who; any failed task, due
        now) and for the automatic retry (``by=None``; due at ``due_at``, only while nobody
        stopped the task and retry_count < AUTO_RETRY_MAX). Bulk: :meth:`TaskQuerySet.retry`.
        InvalidTransition when the task may not be retried."""
        last_remark = self.remark
        if not Task.objects.filter(pk=self.pk).retry(by=by, due_at=due_at):
            self._reread_status()
            if self.status != self.Status.FAILED:
                raise InvalidTransition(
                    f"task {self.pk} is {self.status_text}: only failed tasks can be retried"
                )
            raise InvalidTransition(
                f"task {self.pk} is not retried automatically: it was stopped by a person or "
                "has no retries left"
            )
        self.refresh_from_db()
        if by is not None:
            self.log("retry", f"retry {self.retry_count} requested by {by}")
            return
        due = timezone.localtime(self.scheduled_at)
        self.log(
            "auto-retry",
            f"retry {self.retry_count} of {settings.AUTO_RETRY_MAX} at {due:%H:%M:%S} "
            f"after: {last_remark}",
        )

    @property
    def stopped_by_person(self) -> bool:
        return self.stop_requested_at is not None

    def _transition(self, leaving: tuple[int, ...], fields: dict, *, this_run=False) -> bool:
        """UPDATE this row if its status is one of ``leaving`` (and, for a worker, it is still
        the run that worker was handed); on success keep this object in step."""
        rows = Task.objects.filter(pk=self.pk, status__in=leaving)
        if this_run:
            rows = rows.filter(started_at=self.started_at)
        if not rows.update(**fields):
            return False
        for name, value in fields.items():
            setattr(self, name, value)
        return True

    def _reread_status(self) -> None:
        status = Task.objects.filter(pk=self.pk).values_list("status", flat=True).first()
        if status is None:
            raise InvalidTransition(f"task {self.pk} no longer exists")
        self.status = status

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
