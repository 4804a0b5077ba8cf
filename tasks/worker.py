"""What a django-q2 worker runs: one run of a claimed task, start to finish, with a heartbeat.

The dispatcher has already moved the task to RUNNING with a new run id, and the message names
that run. Here we re-fetch the task and leave at once, without touching the phone, unless that
run is still the task's current one and no other worker began it. Then the script runs while a
heartbeat thread proves we are alive and watches for stop requests and shutdown, and the outcome
is recorded on that run only (a worker whose run is over writes nothing more, see RunOver).

Who is at fault decides the outcome:

- the script finished: completed;
- the phone or the app failed (``ScriptFailure``, a phone's ``DeviceError``): failed, with
  evidence; the automatic retry may take it;
- the infrastructure failed (the adb server stopped answering) or the farm is shutting down:
  handed back, pending, retry count untouched, with a wait reason;
- the run may have done its action (a post or comment sent) without seeing it confirmed:
  handed back *uncertain*, due after VERIFY_DELAY_SECONDS, and the next run checks the app
  first (``Script.verify``) — a confirmed action completes the task, a missing one fails it.

The phone is let go (``Task.release``) only when the script has stopped; a worker killed
outright is caught by the dispatcher's reaper through its stale heartbeat.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection

from devices.adb import AdbServerDown, DeviceError
from devices.models import Device
from tasks.models import RunOver, Task
from tasks.scripts.base import Cancelled, ScriptContext, ScriptFailure
from tasks.scripts.registry import get_script, timeout_for

log = logging.getLogger("tasks.worker")

# Set when this host's worker cluster is shutting down (SIGTERM to ``manage.py workers``). The
# command replaces it with a multiprocessing event before the cluster forks its workers, so one
# set() reaches every worker process; elsewhere (tests, a bare qcluster) it is never set.
SHUTDOWN: threading.Event | multiprocessing.synchronize.Event = threading.Event()


def share_shutdown_event() -> multiprocessing.synchronize.Event:
    """Make SHUTDOWN an event shared with the worker processes forked after this call."""
    global SHUTDOWN
    SHUTDOWN = multiprocessing.get_context("fork").Event()
    return SHUTDOWN


class Heartbeat(threading.Thread):
    """Beats every HEARTBEAT_SECONDS until the worker lets go of the phone. Sets ``cancelled``
    once the script must stop: the task stopped running (a person stopped it, the run is over)
    or the farm is shutting down. A script that does not stop within WORKER_SHUTDOWN_SECONDS of
    a shutdown is cut off: its task is handed back and the worker process exits."""

    TICK = 0.2  # how quickly a shutdown reaches the script (seconds)

    def __init__(self, task: Task):
        super().__init__(name=f"heartbeat-{task.pk}", daemon=True)
        # Its own object for the same run: the worker's copy is busy in another thread.
        self.task = Task(pk=task.pk, run_id=task.run_id)
        self.cancelled = threading.Event()
        self._done = threading.Event()

    def run(self) -> None:
        next_beat = time.monotonic() + settings.HEARTBEAT_SECONDS
        shutdown_at = None
        try:
            while not self._done.wait(self.TICK):
                if SHUTDOWN.is_set() and shutdown_at is None:
                    shutdown_at = time.monotonic()
                    self.cancelled.set()
                if shutdown_at is not None and self._overdue(shutdown_at):
                    self._cut_off()
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + settings.HEARTBEAT_SECONDS
                    if not self.beat():
                        self.cancelled.set()
        finally:
            connection.close()

    def beat(self) -> bool:
        try:
            return self.task.beat()
        except Exception:  # a busy database must not kill the run; the next beat retries
            log.warning("heartbeat for task %s failed", self.task.pk, exc_info=True)
            return True

    @staticmethod
    def _overdue(since: float) -> bool:
        return time.monotonic() - since > settings.WORKER_SHUTDOWN_SECONDS

    def _cut_off(self) -> None:
        """The script is stuck in a phone call past the shutdown grace: hand its task back
        from here and end the process (its script thread cannot be interrupted)."""
        log.warning("task %s did not stop in time for the shutdown; cutting it off", self.task.pk)
        task = Task.objects.filter(pk=self.task.pk, run_id=self.task.run_id).first()
        if task is not None and task.status == Task.Status.RUNNING:
            if task.effect is not None:
                task.check_later("interrupted by shutdown", farm=True)
            else:
                task.hand_back("interrupted by shutdown (the script did not stop in time)")
        elif task is not None:
            task.release()
        connection.close()
        os._exit(0)

    def stop(self) -> None:
        self._done.set()


def run_task(task_id: int, run_id: str | None = None) -> None:
    """Entry point enqueued by the dispatcher (``tasks.worker.run_task``) for one run."""
    close_old_connections()
    task = Task.objects.select_related("device", "account").filter(pk=task_id).first()
    if task is None or run_id is None or str(task.run_id) != run_id:
        log.info("task %s: run %s is not its current run; leaving the phone alone", task_id, run_id)
        return
    if task.status != Task.Status.RUNNING:
        task.release()  # stopped before any worker took it up: nobody else will free the phone
        return
    if SHUTDOWN.is_set():  # fetched from the queue while the cluster stops
        task.hand_back("interrupted by shutdown before it started")
        return
    if not task.begin(worker=f"{settings.FARM_HOST}:{os.getpid()}"):
        log.info("task %s: run %s was taken up or ended meanwhile", task_id, run_id)
        return
    heartbeat = Heartbeat(task)
    heartbeat.start()
    ctx = ScriptContext(task, cancelled=heartbeat.cancelled)
    superseded = False
    try:
        _run(task, ctx)
    except RunOver:
        # Claimed again (a new run uses the phone): leave it and the task's materials alone.
        # Deleted: nobody else works for this task, so tidy the phone up as usual.
        superseded = Task.objects.filter(pk=task.pk).exists()
        log.info("task %s: run %s is over; stopped without writing", task_id, run_id)
    finally:
        heartbeat.stop()
        if not superseded:
            ctx.cleanup()
            task.release()


def _run(task: Task, ctx: ScriptContext) -> None:
    script = get_script(task.script_name)
    try:
        task.log("started", f"on {task.serial} ({task.worker})", progress=0)
        if task.effect is not None and _settle_last_outcome(task, ctx, script):
            return
        remark = script.run(ctx)
        ctx.cleanup()
        task.finish(remark or "done")  # a no-op if a person stopped it or it was reaped
    except RunOver:
        raise
    except Cancelled:
        _cancelled(task, ctx)
    except ScriptFailure as failure:
        _failed(task, ctx, str(failure))
    except AdbServerDown as exc:
        _infrastructure_failed(task, ctx, str(exc))
    except SystemExit:
        # django-q2 raises its TimeoutException (a SystemExit) when the task's time is up.
        # Record the outcome first: django-q2 kills this process a few seconds from now, and
        # the evidence (from a phone that may be hanging) is only a bonus.
        limit = timeout_for(task.script_name, task.script_config or {})
        reason = f"timed out: {task.script_name} may run at most {limit}s"
        if task.effect is not None:
            task.check_later(reason)
        else:
            task.fail(reason)
        ctx.save_evidence()
        raise
    except Exception as exc:
        if not isinstance(exc, DeviceError):
            log.exception("task %s crashed", task.pk)
        _failed(task, ctx, ctx.explain(exc))


def _settle_last_outcome(task: Task, ctx: ScriptContext, script) -> bool:
    """The last run may have done this task's action unconfirmed: look in the app. Found: the
    task is done. Not found: if the farm was to blame (a shutdown, the adb server, a lost
    worker), this run simply does the task; if the phone or the app was, that attempt failed
    (the retry policy decides what follows). Returns False to run the script as usual, also
    when the action could not be checked (no caption to look for: the task failed saying so,
    and a person has retried it after looking)."""
    effect = task.effect
    last_reason = effect.get("reason") or "the last run's outcome was unknown"
    if not effect.get("checkable", True) or script.verify is None:
        task.settle_effect()
        task.log("retry", "the last run's action could not be checked; going ahead as asked")
        return False
    found = script.verify(ctx)
    ctx.cleanup()
    if found:
        task.finish(f"{found} (found in the app after: {last_reason})")
        return True
    task.settle_effect()
    if effect.get("farm"):
        task.log("checked", f"{last_reason}; checked in the app: it did not go through; doing it")
        return False
    task.fail(f"{last_reason}; checked in the app: it did not go through")
    return True


def _cancelled(task: Task, ctx: ScriptContext) -> None:
    """The heartbeat asked the script to stop: a person stopped the task (it is failed
    already), the farm is shutting down (hand it back), or the run is over (RunOver)."""
    if Task.objects.filter(pk=task.pk).values_list("run_id", flat=True).first() != task.run_id:
        raise RunOver(f"task {task.pk}: run {task.run_id} is over")
    ctx.cleanup()
    if SHUTDOWN.is_set():
        if task.effect is not None:
            task.check_later("interrupted by shutdown", farm=True)
        else:
            task.hand_back("interrupted by shutdown", step="interrupted")
        return
    task.refresh_from_db(fields=["remark"])
    task.log("stopped", task.remark or "stopped", level="warning")


def _failed(task: Task, ctx: ScriptContext, reason: str) -> None:
    """The phone or the app failed. If the action may have gone out, the task is checked
    later instead of failed: failing it would free its material for another post."""
    ctx.save_evidence()
    ctx.cleanup()
    if task.effect is not None:
        task.check_later(reason)
        return
    task.fail(reason)


def _infrastructure_failed(task: Task, ctx: ScriptContext, reason: str) -> None:
    """Not the task's fault: hand it back to wait until the adb server answers again (its
    phones wait as "unknown" until the device watcher hears from the server)."""
    ctx.cleanup()
    Device.objects.on_host(task.host).adb_server_not_answering()
    if task.effect is not None:
        task.check_later(reason, farm=True)
        return
    task.hand_back(f"{reason}; queued again", wait_reason=Task.WaitReason.ADB_SERVER_DOWN)
