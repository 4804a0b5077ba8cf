"""What people do to existing tasks: stop, retry, delete. Shared by the API and the dashboard.

Each action is a conditional UPDATE/DELETE on the status it expects, so a user racing the
dispatcher, a worker or the reaper cannot overwrite their change; an action that does not fit
the task's status raises :class:`InvalidTransition` (the API answers 40901, a page shows the
message). Every action writes one ``AuditEntry``. The ``user``/``actor``/``request`` keywords
are passed to ``core.audit.record``: a signed-in user, or a named actor (``"localhost API"``).

Stopping a running task moves it to FAILED at once with ``stop_requested_at``/``_by`` set; the
worker's heartbeat sees the task is no longer RUNNING and cancels the script between two steps.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.audit import record
from core.errors import Code, DomainError
from tasks.models import Task

Status = Task.Status
MAX_BATCH = 10_000


class InvalidTransition(DomainError):
    """The action does not fit the task's current status (e.g. stop a completed task)."""

    code = Code.INVALID_STATE


def actor_name(user=None, actor: str | None = None) -> str:
    if actor:
        return actor
    return user.get_username() if user is not None and user.is_authenticated else "system"


def stop_task(task: Task, *, user=None, actor: str | None = None, request=None) -> Task:
    """Pending or running → failed, remark ``stopped by <who>``; else InvalidTransition."""
    who = actor_name(user, actor)
    now = timezone.now()
    remark = f"stopped by {who}"
    # A pending task may be claimed between our read and our write; then stop it as running.
    for _attempt in range(3):
        previous = task.status
        if previous not in Task.ACTIVE:
            raise InvalidTransition(
                f"task {task.pk} is {task.status_text}: only pending or "
                "running tasks can be stopped"
            )
        changed = Task.objects.filter(pk=task.pk, status=previous).update(
            status=Status.FAILED,
            remark=remark,
            ended_at=now,
            updated_at=now,
            wait_reason=None,
            stop_requested_at=now,
            stop_requested_by=who[:150],
        )
        if changed:
            break
        task.refresh_from_db()
    else:
        raise InvalidTransition(f"task {task.pk} changed state while stopping it; try again")
    task.refresh_from_db()
    task.log("stopped", remark, level="warning")
    record(
        "task.stop",
        user=user,
        actor=actor,
        obj=task,
        request=request,
        detail={"was": Status(previous).label.lower()},
    )
    return task


def retry_task(task: Task, *, user=None, actor: str | None = None, request=None) -> Task:
    """Failed → pending, due now, retry_count + 1; else InvalidTransition."""
    changed = Task.objects.filter(pk=task.pk, status=Status.FAILED).update(
        **_retry_fields(timezone.now()), retry_count=F("retry_count") + 1
    )
    if not changed:
        task.refresh_from_db()
        raise InvalidTransition(
            f"task {task.pk} is {task.status_text}: only failed tasks can be retried"
        )
    task.refresh_from_db()
    task.log("retry", f"retry {task.retry_count} requested by {actor_name(user, actor)}")
    record("task.retry", user=user, actor=actor, obj=task, request=request)
    return task


def retry_all_failed(*, user=None, actor: str | None = None, request=None) -> int:
    """Every failed task → pending, due now. Returns how many."""
    count = Task.objects.filter(status=Status.FAILED).update(
        **_retry_fields(timezone.now()), retry_count=F("retry_count") + 1
    )
    record(
        "task.retry_all",
        user=user,
        actor=actor,
        object_type="task",
        request=request,
        detail={"retried_count": count},
    )
    return count


def _retry_fields(now) -> dict:
    return {
        "status": Status.PENDING,
        "scheduled_at": now,
        "started_at": None,
        "ended_at": None,
        "heartbeat_at": None,
        "host": "",
        "progress": 0,
        "step": "",
        "remark": "",
        "wait_reason": None,
        "stop_requested_at": None,
        "stop_requested_by": "",
        "updated_at": now,
    }


def delete_task(task: Task, *, user=None, actor: str | None = None, request=None) -> int:
    """Delete one task in any status. A running one stops: its worker's heartbeat finds the row
    gone and cancels the script. Returns 1 (0 if someone deleted it first)."""
    detail = {"status": task.status_text, "serial": task.serial, "script": task.script_name}
    with transaction.atomic():
        deleted = _delete_ids([task.pk])
        record("task.delete", user=user, actor=actor, obj=task, request=request, detail=detail)
    return deleted


def delete_tasks(
    task_ids: Iterable[int], *, user=None, actor: str | None = None, request=None
) -> tuple[int, list[int]]:
    """Delete the tasks with these ids; ``(deleted_count, ids that did not exist)``."""
    wanted = list(dict.fromkeys(task_ids))
    if len(wanted) > MAX_BATCH:
        raise ValueError(f"at most {MAX_BATCH} ids per request")
    with transaction.atomic():
        existing = set(Task.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        deleted = _delete_ids(existing)
        not_found = [pk for pk in wanted if pk not in existing]
        record(
            "task.delete_batch",
            user=user,
            actor=actor,
            object_type="task",
            request=request,
            detail={
                "deleted_count": deleted,
                "task_ids": sorted(existing)[:1000],
                "not_found": not_found[:1000],
            },
        )
    return deleted, not_found


def _delete_ids(ids: Iterable[int]) -> int:
    _total, per_model = Task.objects.filter(pk__in=list(ids)).delete()
    return per_model.get(Task._meta.label, 0)
