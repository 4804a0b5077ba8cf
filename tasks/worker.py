"""What a django-q2 worker runs: one claimed task, start to finish, with a heartbeat.

The dispatcher has already moved the task to RUNNING. Here we re-fetch it by id (and exit
quietly if it is gone or no longer running), run its script on the phone while a heartbeat
thread proves we are alive and watches for stop requests, then record the outcome. Every way
out (success, script failure, phone gone, timeout, crash) ends the task; a worker killed
outright is caught by the dispatcher's reaper through the stale heartbeat.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection

from tasks.models import Task
from tasks.scripts.base import Cancelled, ScriptContext, ScriptFailure
from tasks.scripts.registry import get_script, timeout_for

log = logging.getLogger("tasks.worker")


class Heartbeat(threading.Thread):
    """Beats every HEARTBEAT_SECONDS; sets ``cancelled`` once the task stops being RUNNING
    (stopped by a user, reaped), so the script can stop between two actions."""

    def __init__(self, task: Task):
        super().__init__(name=f"heartbeat-{task.pk}", daemon=True)
        self.task = task
        self.cancelled = threading.Event()
        self._done = threading.Event()

    def run(self) -> None:
        try:
            while not self._done.wait(settings.HEARTBEAT_SECONDS):
                if not self.beat():
                    self.cancelled.set()
                    return
        finally:
            connection.close()

    def beat(self) -> bool:
        try:
            return self.task.beat()
        except Exception:  # a busy database must not kill the run; the next beat retries
            log.warning("heartbeat for task %s failed", self.task.pk, exc_info=True)
            return True

    def stop(self) -> None:
        self._done.set()


def run_task(task_id: int) -> None:
    """Entry point enqueued by the dispatcher (``tasks.worker.run_task``)."""
    close_old_connections()
    task = Task.objects.select_related("device", "account").filter(pk=task_id).first()
    if task is None or task.status != Task.Status.RUNNING:
        log.info("task %s is gone or no longer running; nothing to do", task_id)
        return
    heartbeat = Heartbeat(task)
    heartbeat.start()
    ctx = ScriptContext(task, cancelled=heartbeat.cancelled)
    try:
        task.log("started", f"on {task.serial} ({settings.FARM_HOST})", progress=0)
        remark = get_script(task.script_name).run(ctx)
        ctx.cleanup()
        task.finish(remark or "done")  # a no-op if a person stopped it or it was reaped
    except Cancelled:
        task.refresh_from_db(fields=["remark"])
        task.log("stopped", task.remark or "stopped", level="warning")
    except ScriptFailure as failure:
        _fail(task, ctx, str(failure))
    except SystemExit:
        # django-q2 raises its TimeoutException (a SystemExit) when the task's time is up.
        # Record the outcome first: django-q2 kills this process a few seconds from now, and
        # the evidence (from a phone that may be hanging) is only a bonus.
        limit = timeout_for(task.script_name, task.script_config or {})
        task.fail(f"timed out: {task.script_name} may run at most {limit}s")
        ctx.save_evidence()
        raise
    except Exception as exc:
        log.exception("task %s crashed", task_id)
        _fail(task, ctx, ctx.explain(exc))
    finally:
        heartbeat.stop()
        ctx.cleanup()


def _fail(task: Task, ctx: ScriptContext, reason: str) -> None:
    ctx.save_evidence()
    ctx.cleanup()
    task.fail(reason)
