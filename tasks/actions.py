"""What people do to existing tasks: stop, retry, delete. Shared by the API and the dashboard.

The state rules live on the model (:meth:`Task.stop`, :meth:`Task.retry`,
:meth:`TaskQuerySet.retry`), shared with the dispatcher and the workers; a change that does not
fit the task's status raises :class:`~tasks.models.InvalidTransition` (the API answers 40901, a
page shows the message). What this module adds is the person: it names who asked (a signed-in
user, or a named actor such as ``"localhost API"``) and writes one ``AuditEntry`` per action
through ``core.audit.record``, which the ``user``/``actor``/``request`` keywords are passed to.
The model knows nothing of requests or the audit log; the dispatcher's own changes (claims,
reaping, automatic retries) are not audited.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from core.audit import record
from tasks.models import Task

MAX_BATCH = 10_000
# The largest id a task can have (a 64-bit BigAutoField): a larger number names nothing, and
# the database refuses to even look it up.
MAX_ID = 2**63 - 1


def actor_name(user=None, actor: str | None = None) -> str:
    if actor:
        return actor
    return user.get_username() if user is not None and user.is_authenticated else "system"


def stop_task(task: Task, *, user=None, actor: str | None = None, request=None) -> Task:
    """Pending or running → failed, remark ``stopped by <who>``; else InvalidTransition."""
    was = task.stop(by=actor_name(user, actor))
    detail = {"was": was.label.lower()}
    record("task.stop", user=user, actor=actor, obj=task, request=request, detail=detail)
    return task


def retry_task(task: Task, *, user=None, actor: str | None = None, request=None) -> Task:
    """Failed → pending, due now, retry_count + 1; else InvalidTransition."""
    task.retry(by=actor_name(user, actor))
    record("task.retry", user=user, actor=actor, obj=task, request=request)
    return task


def retry_all_failed(*, user=None, actor: str | None = None, request=None) -> int:
    """Every failed task → pending, due now. Returns how many."""
    count = Task.objects.failed().retry(by=actor_name(user, actor))
    record(
        "task.retry_all",
        user=user,
        actor=actor,
        object_type="task",
        request=request,
        detail={"retried_count": count},
    )
    return count


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
