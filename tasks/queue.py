"""The worker queue (django-q2) as the tasks app uses it: hand a run to this host's workers,
and throw away the messages of runs that are over.

A message names the task *and its run* (``run_task(task_id, run_id)``): a worker handed a
message whose run is not the task's current run leaves the phone alone (``tasks.worker``). With
the database as the broker (the default, django-q2's ORM broker) a message is a row of
``django_q_ormq``: the dispatcher writes it in the transaction that claims the task, so a claim
and its message exist together or not at all, and :func:`discard_messages_of_ended_runs` deletes
the rows of runs that ended without their worker acknowledging them (a worker killed holds its
row locked for django-q2's ``retry`` seconds, then it would be delivered again). Redis has no
such rows to inspect; there a stale message is simply refused by the worker.
"""

from __future__ import annotations

import logging
from uuid import UUID

from django.conf import settings

from tasks.models import Task

log = logging.getLogger("tasks.queue")

RUN_TASK = "tasks.worker.run_task"


def broker_is_database() -> bool:
    return "orm" in settings.Q_CLUSTER


def enqueue(task: Task) -> None:
    """Hand ``task``'s current run to its host's worker cluster, with its script's time limit
    (django-q2 stops the worker when it runs out). Raises when the broker refuses."""
    from django_q.tasks import async_task

    from tasks.scripts.registry import timeout_for

    async_task(
        RUN_TASK,
        task.pk,
        str(task.run_id),
        cluster=settings.FARM_QUEUE,
        task_name=f"task-{task.pk}",
        timeout=timeout_for(task.script_name, task.script_config or {}),
        save=False,
    )


def discard_messages_of_ended_runs() -> int:
    """Delete queued messages (database broker) whose run is no longer a running task's
    current run: reaped, handed back, stopped, retried, deleted. Returns how many."""
    if not broker_is_database():
        return 0
    from django_q.models import OrmQ

    runs: dict[int, tuple[int, UUID | None]] = {}
    for row in OrmQ.objects.filter(key__startswith="farm-").only("id", "payload"):
        message = row.task
        if message.get("func") != RUN_TASK:
            continue
        args = message.get("args") or ()
        run = _uuid(args[1]) if len(args) > 1 else None
        runs[row.pk] = (args[0], run) if args else (None, None)
    if not runs:
        return 0
    task_ids = {task_id for task_id, _ in runs.values()}
    current = set(Task.objects.running().filter(pk__in=task_ids).values_list("pk", "run_id"))
    ended = [pk for pk, run in runs.items() if run not in current]
    if ended:
        OrmQ.objects.filter(pk__in=ended).delete()
        log.info("discarded %d queue message(s) of runs that are over", len(ended))
    return len(ended)


def _uuid(value) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None
