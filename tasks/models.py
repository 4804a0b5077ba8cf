"""Automation tasks (and the state changes of their life), their step logs, the media library
and idempotency keys.

A task's status only changes through the methods of :class:`Task` and :class:`TaskQuerySet`
below; the dispatcher, the workers and ``tasks.actions`` call them, nothing else writes
``status``. The dispatcher claims (a new run) and reaps silent runs; a worker begins its run,
beats, commits the action it must do once, and ends it (finish, fail, hand back, check later,
release), every write on its own run only; people stop and retry. README "Exactly once" tells
the story.
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


class RunOver(Exception):
    """The worker's run is no longer the task's current run (the task was claimed again since):
    the worker must stop at once, write nothing more and leave the phone alone."""


# A task whose runs keep dying with their worker (killed, crashed, host lost) is queued again
# after each, up to this many lost runs; then it fails, so one task cannot crash workers forever.
MAX_LOST_RUNS = 3
# How often the check of an uncertain outcome may itself fail (phone gone, app stuck) before the
# task fails and a person is asked to look at the phone.
MAX_CHECKS = 3


class TaskQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Task.Status.PENDING)

    def running(self):
        return self.filter(status=Task.Status.RUNNING)

    def failed(self):
        return self.filter(status=Task.Status.FAILED)

    def holding(self):
        """Tasks whose run holds their phone: claimed and not yet let go by its worker. A
        stopped task's worker may still be between two taps: its phone is not free yet."""
        return self.filter(phone_held=True)

    def due(self, now=None):
        return self.pending().filter(scheduled_at__lte=now or timezone.now())

    def stale(self, now=None):
        """Runs holding a phone whose worker has not beaten for HEARTBEAT_STALE_SECONDS (killed,
        crashed, frozen, host lost, or the run was never picked up), or never did."""
        cutoff = (now or timezone.now()) - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS)
        return self.holding().filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True))

    def orphaned(self):
        """Waiting tasks whose phone was deleted: they can never run."""
        return self.pending().filter(device__isnull=True)

    def auto_retryable(self):
        """Failed tasks the automatic retry may take: nobody stopped them, retries are left, and
        nothing they did may have gone through unchecked (a person must look first)."""
        return self.failed().filter(
            stop_requested_at__isnull=True,
            retry_count__lt=settings.AUTO_RETRY_MAX,
            effect__isnull=True,
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
        """Let go of the phones of these tasks' :meth:`stale` runs (their worker is presumed
        dead) and settle each run (see :meth:`Task.reap`). Returns the ids reaped. Row by row,
        each UPDATE checking staleness again: a heartbeat that arrives meanwhile saves its run."""
        now = now or timezone.now()
        return [task.pk for task in self.stale(now) if task.reap(now)]

    def abandon(self, reason: str) -> int:
        """Pending → failed with ``reason``: waiting tasks that can never run (use on
        :meth:`orphaned`). Returns how many."""
        return self.pending().update(**_ended(Task.Status.FAILED, reason), wait_reason=None)


# What each state change writes (and nothing else), shared by Task's methods and the bulk ones.


def _claimed(host: str, now: datetime) -> dict:
    """A new run: its own id, the phone held, no worker yet (it begins when one takes it)."""
    return {
        "status": Task.Status.RUNNING,
        "run_id": uuid.uuid4(),
        "phone_held": True,
        "worker": "",
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


def _handed_back(remark: str, due_at: datetime | None, wait_reason: str | None, **extra) -> dict:
    """Running → pending without the task being at fault (shutdown, infrastructure, a lost
    worker, an outcome to check): the phone let go, retry_count untouched, due at ``due_at``
    (by default it keeps its place in the line: it was due already)."""
    now = timezone.now()
    due = {"scheduled_at": due_at} if due_at else {}
    return {
        "status": Task.Status.PENDING,
        "phone_held": False,
        **due,
        "wait_reason": wait_reason,
        "started_at": None,
        "ended_at": None,
        "heartbeat_at": None,
        "worker": "",
        "progress": 0,
        "remark": remark[:2000],
        "updated_at": now,
        **extra,
    }


def _while_free(field: str, empty):
    """``field`` emptied, unless the last run's worker still holds the phone (a stopped script
    winding down): the reaper needs its heartbeat and host until it lets go."""
    return models.Case(models.When(phone_held=True, then=F(field)), default=models.Value(empty))


def _requeued(due_at: datetime) -> dict:
    """A retry starts afresh: nothing of the last run (host, heartbeat, step, remark, stop)
    stays on the row; the step log keeps the story. An uncertain outcome (``effect``) stays:
    the next run checks it before doing anything again."""
    now = timezone.now()
    return {
        "status": Task.Status.PENDING,
        "retry_count": F("retry_count") + 1,
        "lost_runs": 0,
        "scheduled_at": due_at,
        "wait_reason": Task.WaitReason.SCHEDULED if due_at > now else None,
        "started_at": None,
        "ended_at": None,
        "heartbeat_at": _while_free("heartbeat_at", None),
        "host": _while_free("host", ""),
        "worker": _while_free("worker", ""),
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
        DEVICE_UNAUTHORIZED = "device_unauthorized", _("phone has not allowed USB debugging")
        ADB_SERVER_DOWN = "adb_server_down", _("adb server not answering")
        BROKER_DOWN = "broker_down", _("worker queue unavailable")
        CONCURRENCY_LIMIT = "concurrency_limit", _("licence device limit reached")
        NO_AUTOMATION_QUOTA = "no_automation_quota", _("licence plan has no automation")
        ACCOUNT_DAILY_LIMIT = "account_daily_limit", _("account reached its daily limit")
        CHECKING = "checking_outcome", _("checking whether the last run's action went through")

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
    # The run: each claim starts one with a new id, which its queue message, heartbeat and every
    # write of its worker carry; a worker whose run is not the current one leaves the phone
    # alone. The id stays after the run ends (its step log lines name it).
    run_id = models.UUIDField(_("run"), null=True, blank=True, editable=False)
    # The run holds the phone from its claim until its worker lets go, or is presumed dead: a
    # stopped task's script may still be between two taps. At most one per phone (Meta).
    phone_held = models.BooleanField(_("holds its phone"), default=False, editable=False)
    # The worker process of the run ("host:pid"), set when it begins; empty = never started.
    worker = models.CharField(_("worker"), max_length=150, blank=True, editable=False)
    # What the run may have done that must never be done twice (a post published, a comment
    # sent), written just before the tap that does it and cleared once the outcome is known. A
    # task holding one and not completed has an *uncertain* outcome: its next run checks the
    # app (the account's profile, the post's comments) before anything is done again.
    effect = models.JSONField(_("unconfirmed action"), null=True, blank=True, editable=False)
    # Runs lost with their worker (killed, crashed, host lost): see MAX_LOST_RUNS.
    lost_runs = models.PositiveSmallIntegerField(_("lost runs"), default=0, editable=False)
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

    # Set by begin(): this object is the worker's handle on its run, so its step log lines
    # carry the run's id and stop (RunOver) at the first one the row refuses.
    _speaks_for_run = False

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
            # Reaper: runs holding a phone whose heartbeat went stale.
            models.Index(
                fields=["heartbeat_at"], condition=Q(phone_held=True), name="task_holding_hb"
            ),
        ]
        constraints = [
            # One run at a time per phone, enforced by the database itself so that two
            # dispatchers (or two farm hosts) racing for the same phone cannot both win, and a
            # stopped task's script still winding down keeps its phone until its worker lets go.
            models.UniqueConstraint(
                fields=["device"], condition=Q(phone_held=True), name="task_one_run_per_device"
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

    @property
    def uncertain(self) -> bool:
        """A run may have done this task's action (posted, commented) without anyone seeing it
        confirmed; the next run checks the app first."""
        return self.effect is not None and self.status != self.Status.COMPLETED

    # State changes. Each is one conditional UPDATE on the status it leaves, writing only the
    # fields that change, so racing writers (dispatchers, a worker, the reaper, people) cannot
    # overwrite each other: the first to move the row wins, the others change 0 rows.
    #
    # What losing looks like depends on who lost:
    # - The machinery (claim, begin, beat, finish, fail, hand_back, reap) returns False. Losing
    #   is part of its normal life: another dispatcher claimed first, a person stopped the task
    #   the worker runs.
    # - A person (stop, retry) gets InvalidTransition, whose message says why; the automatic
    #   retry shares retry() and catches it.
    # A worker's changes (begin … release) also check ``run_id``: they apply to the run it was
    # handed, never to a later run of the same task (after a stop and a retry, or a reap).

    def claim(self, host: str, now: datetime | None = None) -> bool:
        """Pending → running on ``host``: a new run, holding the phone. False if another
        dispatcher got there first: the task is no longer pending, or the phone is held by a
        run (of another task, or this task's last one still winding down)."""
        fields = _claimed(host, now or timezone.now())
        try:
            # A savepoint: losing the phone to another dispatcher must not spoil the caller's
            # transaction (the dispatcher claims many tasks in one).
            with transaction.atomic():
                return self._change(fields, leaving=(self.Status.PENDING,), phone_held=False)
        except IntegrityError:
            return False

    def begin(self, worker: str) -> bool:
        """A worker takes up this object's run (``run_id``). False if the run is not current
        (claimed again since, stopped, handed back) or another worker has begun it: then the
        worker must leave the phone alone. From here on this object speaks for the run."""
        fields = {"worker": worker[:150], "heartbeat_at": timezone.now()}
        if not self._change(fields, leaving=(self.Status.RUNNING,), this_run=True, worker=""):
            return False
        self._speaks_for_run = True
        return True

    def beat(self) -> bool:
        """The worker is alive. True: go on. False: stop the script (a person stopped the task,
        or the run is over). The hold on the phone stays fresh either way until the worker
        lets go (:meth:`release`), so the reaper does not free a phone a script still uses."""
        now = timezone.now()
        if self._change({"heartbeat_at": now}, leaving=(self.Status.RUNNING,), this_run=True):
            return True
        self._change({"heartbeat_at": now}, this_run=True, phone_held=True)
        return False

    def finish(self, remark: str) -> bool:
        """Running → completed; the action is done and confirmed, the phone let go. False if
        the run ended otherwise first (stopped, reaped)."""
        fields = _ended(self.Status.COMPLETED, remark, progress=100, phone_held=False, effect=None)
        if not self._change(fields, leaving=(self.Status.RUNNING,), this_run=True):
            return False
        self.log("completed", remark, progress=100)
        return True

    def fail(self, reason: str) -> bool:
        """Running → failed with ``reason``; the phone let go. False if the run ended otherwise
        first. (A run whose action may have gone out is handed back, not failed.)"""
        fields = _ended(self.Status.FAILED, reason, phone_held=False)
        if not self._change(fields, leaving=(self.Status.RUNNING,), this_run=True):
            return False
        self.log("failed", reason, level="error")
        return True

    def hand_back(
        self,
        reason: str,
        *,
        step: str = "queued again",
        wait_reason: str | None = None,
        due_at: datetime | None = None,
    ) -> bool:
        """Running → pending, not the task's fault (a shutdown, the adb server or the queue
        down, an outcome to check): the phone let go, retry_count untouched, ``reason`` in the
        remark and the step log under ``step``. False if the run ended otherwise first."""
        fields = _handed_back(reason, due_at, wait_reason)
        if not self._change(fields, leaving=(self.Status.RUNNING,), this_run=True):
            return False
        self.log(step, reason, level="warning")
        return True

    def check_later(self, reason: str, *, farm: bool = False) -> bool:
        """Running → pending, its outcome uncertain (:attr:`effect` is set; ``reason`` is why
        it was not confirmed, ``farm`` whether that was the farm's own trouble rather than the
        phone's or the app's): the next run, due after VERIFY_DELAY_SECONDS, first checks the
        app. A task whose action cannot be checked, or whose checks failed MAX_CHECKS times,
        fails instead, its material kept: a person has to look at the phone."""
        fields, step, remark = self._uncertain(reason, timezone.now(), farm)
        if not self._change(fields, leaving=(self.Status.RUNNING,), this_run=True):
            return False
        self.log(step, remark, level="error" if step == "failed" else "warning")
        return True

    def _uncertain(self, reason: str, now: datetime, farm: bool) -> tuple[dict, str, str]:
        """(fields, step, remark) for a run whose action may have gone through unconfirmed.
        The first cause is kept: a check interrupted in turn does not change why it is
        uncertain."""
        effect = self.effect or {}
        checks = effect.get("checks", 0) + 1
        if not effect.get("checkable", True) or checks > MAX_CHECKS:
            why = (
                "cannot be checked in the app"
                if checks == 1
                else (f"could not be checked ({MAX_CHECKS} tries)")
            )
            remark = (
                f"{reason}; it may have gone through and {why}: look at the account on the "
                "phone before retrying"
            )
            return _ended(self.Status.FAILED, remark, phone_held=False), "failed", remark
        remark = f"outcome unknown: {reason}; the app is checked before anything is done again"
        due = now + timedelta(seconds=settings.VERIFY_DELAY_SECONDS)
        fields = _handed_back(remark, due, self.WaitReason.CHECKING)
        cause = {} if "reason" in effect else {"reason": reason[:500], "farm": farm}
        fields["effect"] = {**effect, "checks": checks, **cause}
        return fields, "uncertain", remark

    def release(self) -> bool:
        """The worker lets go of the phone (its script has stopped): the phone is free."""
        return self._change({"phone_held": False}, this_run=True, phone_held=True)

    def commit_effect(self, effect: dict) -> bool:
        """Write down, before the tap that does it, the action this run is about to do once
        and for all (``{"kind": "post", "caption": …}``). False (do not tap) if the run is no
        longer running: a person stopped it."""
        effect = {**effect, "run": str(self.run_id), "at": timezone.now().isoformat()}
        return self._change({"effect": effect}, leaving=(self.Status.RUNNING,), this_run=True)

    def settle_effect(self) -> bool:
        """The outcome of the recorded action is known (checked in the app, or the app said it
        failed): nothing uncertain is left."""
        return self._change({"effect": None}, this_run=True)

    def record(self, **fields) -> bool:
        """The worker writes run facts (app version, failure evidence) on its own run only."""
        return self._change(fields, this_run=True)

    def reap(self, now: datetime) -> bool:
        """This run's worker is presumed dead (its heartbeat is :meth:`stale` at ``now``):
        let go of the phone and settle the run. A run that never began is queued again; one
        that may have done its action is queued for a check; one lost mid-way is queued again
        (up to MAX_LOST_RUNS); a task that had already ended only frees its phone. False if a
        heartbeat (or anything else) changed the row meanwhile."""
        stale = {"heartbeat_at__lt": now - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS)}
        if self.heartbeat_at is None:
            stale = {"heartbeat_at__isnull": True}
        if self.status != self.Status.RUNNING:
            return self._change({"phone_held": False}, this_run=True, phone_held=True, **stale)
        silent = f"the worker{f' on {self.host}' if self.host else ''} stopped responding"
        silent += f" for {settings.HEARTBEAT_STALE_SECONDS}s"
        if not self.worker:
            reason = (
                f"never started: no worker{f' on {self.host}' if self.host else ''} took it up "
                f"within {settings.HEARTBEAT_STALE_SECONDS}s (workers down or busy, or the "
                "queue message lost); queued again"
            )
            fields, step = _handed_back(reason, None, None), "queued again"
        elif self.effect is not None:
            lost = f"{silent} after the action was sent"
            fields, step, reason = self._uncertain(lost, now, farm=True)
        elif self.lost_runs + 1 >= MAX_LOST_RUNS:
            reason = (
                f"{silent} (killed, crashed or host lost), {MAX_LOST_RUNS} runs in a row; "
                "not queued again"
            )
            fields, step = _ended(self.Status.FAILED, reason, phone_held=False), "failed"
        else:
            reason = f"interrupted: {silent} (killed, crashed or host lost); queued again"
            fields = _handed_back(reason, None, None, lost_runs=F("lost_runs") + 1)
            step = "queued again"
        leaving = (self.Status.RUNNING,)
        if not self._change(fields, leaving=leaving, this_run=True, phone_held=True, **stale):
            return False
        self.log(step, reason, level="error" if step == "failed" else "warning")
        return True

    def stop(self, by: str) -> Status:
        """Pending or running → failed, remark ``stopped by <by>``, and marked as stopped by a
        person (``stop_requested_at``/``_by``), which the automatic retry respects. A running
        task's worker sees it at its next heartbeat and cancels the script; the phone stays
        held until the script has let go. Returns the status the task left; InvalidTransition
        if it was already completed or failed."""
        # A pending task may be claimed between our read and our write: then stop it running.
        for _attempt in range(3):
            leaving = self.status
            if leaving not in self.ACTIVE:
                raise InvalidTransition(
                    f"task {self.pk} is {self.status_text}: only pending or "
                    "running tasks can be stopped"
                )
            if self._change(_stopped(by), leaving=(leaving,)):
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

    def _change(
        self, fields: dict, *, leaving: tuple[int, ...] = (), this_run=False, **conditions
    ) -> bool:
        """UPDATE this row if its status is one of ``leaving`` (any, when empty), it is still
        the run this object holds (``this_run``), and it matches ``conditions``; on success keep
        this object in step (expressions such as F() are re-read)."""
        rows = Task.objects.filter(pk=self.pk, **conditions)
        if leaving:
            rows = rows.filter(status__in=leaving)
        if this_run:
            rows = rows.filter(run_id=self.run_id)
        if not rows.update(**fields):
            return False
        expressions = [name for name, v in fields.items() if hasattr(v, "resolve_expression")]
        for name, value in fields.items():
            if name not in expressions:
                setattr(self, name, value)
        if expressions:
            self.refresh_from_db(fields=expressions)
        return True

    def _reread_status(self) -> None:
        status = Task.objects.filter(pk=self.pk).values_list("status", flat=True).first()
        if status is None:
            raise InvalidTransition(f"task {self.pk} no longer exists")
        self.status = status

    def log(self, step: str, message: str = "", *, progress: int | None = None, level="info"):
        """Append to the step log and move the task's current step/progress. Each line names
        the run it belongs to; a worker's line for a run that is over raises RunOver."""
        fields = {"step": step[:200], "updated_at": timezone.now()}
        if progress is not None:
            fields["progress"] = max(0, min(progress, 100))
        rows = Task.objects.filter(pk=self.pk)
        if self._speaks_for_run:
            rows = rows.filter(run_id=self.run_id)
        if not rows.update(**fields) and self._speaks_for_run:
            raise RunOver(f"task {self.pk}: run {self.run_id} is over")
        TaskEvent.objects.create(
            task=self, run_id=self.run_id, step=step, message=message, progress=progress,
            level=level,
        )  # fmt: skip
        for name, value in fields.items():
            setattr(self, name, value)


class TaskEvent(models.Model):
    """One line of a task's step log."""

    class Level(models.TextChoices):
        INFO = "info"
        WARNING = "warning"
        ERROR = "error"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    # The run the line belongs to (Task.run_id at the time): a task's runs told apart.
    run_id = models.UUIDField(null=True, blank=True)
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

    def set_aside(self, reason: str) -> int:
        """Never pick these again, saying why (their file is gone, say). Returns how many."""
        return self.filter(set_aside_reason="").update(set_aside_reason=reason[:300])


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
    # Why the library no longer offers this material although it was never posted (its file
    # was deleted from the PC …); empty for a usable one.
    set_aside_reason = models.CharField(_("set aside because"), max_length=300, blank=True)
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
