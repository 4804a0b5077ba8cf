"""The dispatcher: which due task runs next on which phone, and why the others wait.

One dispatcher runs per farm host (a child of ``manage.py serve``). Each tick it claims due
tasks for this host's free, online phones, oldest due first, one per phone, never more running
tasks in total than the licence allows (across all hosts) nor more than this host has worker
processes, skipping accounts that reached their daily limit. A claim is a conditional UPDATE
that must change exactly one row; the run is enqueued on this host's queue after commit.
Every pending task of this host is then labelled with why it waits.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from core import licensing
from devices.models import Device
from tasks import limits
from tasks.models import InvalidTransition, Task

log = logging.getLogger("tasks.dispatcher")

Wait = Task.WaitReason


@dataclass
class TickResult:
    claimed: list[int] = field(default_factory=list)
    reaped: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)


def _serialise_dispatchers() -> None:
    """Make concurrent dispatchers (several farm hosts) take turns inside this transaction.

    SQLite already serialises writers (IMMEDIATE transactions); PostgreSQL needs a lock, or two
    hosts could each see room under the licence limit and both claim.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(50809)")


def host_capacity(host: str) -> tuple[int, int, int]:
    """(free licence slots, free worker slots on this host, licence device limit)."""
    limit = licensing.current_entitlement().device_limit
    counts = Task.objects.running().aggregate(
        total=Count("id"), here=Count("id", filter=Q(host=host))
    )
    return limit - counts["total"], settings.WORKERS - counts["here"], limit


def _accounts_at_daily_limit(account_ids: set[int], now: datetime) -> set[tuple[int, str]]:
    """(account id, script) pairs whose account already did its daily quota of that action."""
    return limits.accounts_at_limit(account_ids, now)


def claim_due_tasks(host: str | None = None, now: datetime | None = None) -> list[int]:
    """Claim what can start now on ``host``; return the claimed task ids (already enqueued
    after commit)."""
    host = host or settings.FARM_HOST
    now = now or timezone.now()
    claimed: list[int] = []
    with transaction.atomic():
        _serialise_dispatchers()
        licence_room, worker_room, _ = host_capacity(host)
        room = min(licence_room, worker_room)
        if room <= 0:
            return []
        busy = Task.objects.running().filter(device__isnull=False).values("device_id")
        free_devices = Device.objects.on_host(host).online().exclude(pk__in=busy)
        candidates = list(
            Task.objects.due(now)
            .filter(device__in=free_devices)
            .order_by("scheduled_at", "id")
            .only("id", "status", "device_id", "account_id", "script_name")[:5000]
        )
        if settings.RANDOM_ORDER_PER_DEVICE:
            random.shuffle(candidates)
        limited = _accounts_at_daily_limit({t.account_id for t in candidates if t.account_id}, now)
        taken_devices: set[int] = set()
        for task in candidates:
            if task.device_id in taken_devices or (task.account_id, task.script_name) in limited:
                continue
            if task.claim(host, now):
                claimed.append(task.pk)
                taken_devices.add(task.device_id)
                if len(claimed) >= room:
                    break
        if claimed:
            transaction.on_commit(lambda: enqueue_runs(claimed))
    return claimed


def enqueue_runs(task_ids: list[int]) -> None:
    """Hand claimed tasks to this host's worker cluster (ids, not objects), each with its
    script's time limit (django-q2 stops the worker when it runs out)."""
    from django_q.tasks import async_task

    from tasks.scripts.registry import timeout_for

    scripts = {
        pk: (name, config)
        for pk, name, config in Task.objects.filter(pk__in=task_ids).values_list(
            "pk", "script_name", "script_config"
        )
    }
    for task_id in task_ids:
        script_name, config = scripts.get(task_id, ("", {}))
        try:
            async_task(
                "tasks.worker.run_task",
                task_id,
                cluster=settings.FARM_QUEUE,
                task_name=f"task-{task_id}",
                timeout=timeout_for(script_name, config or {}),
                save=False,
            )
        except Exception:
            # The task stays RUNNING with the claim's heartbeat; the reaper fails it with a
            # reason once that heartbeat is stale, so nothing is lost silently.
            log.exception("could not enqueue task %s", task_id)


def label_waiting_tasks(host: str | None = None, now: datetime | None = None) -> None:
    """Give every pending task of this host an up-to-date ``wait_reason``.

    Applied from the most specific reason to the least; each UPDATE skips rows already right,
    so a quiet farm writes nothing.
    """
    host = host or settings.FARM_HOST
    now = now or timezone.now()
    mine = Task.objects.pending().filter(device__host=host)
    _set_reason(mine.filter(scheduled_at__gt=now), Wait.SCHEDULED)
    due = mine.filter(scheduled_at__lte=now)
    _set_reason(due.exclude(device__state=Device.State.ONLINE), Wait.DEVICE_OFFLINE)
    online_due = due.filter(device__state=Device.State.ONLINE)
    busy = Task.objects.running().filter(device__isnull=False).values("device_id")
    _set_reason(online_due.filter(device__in=busy), Wait.DEVICE_BUSY)
    free_due = online_due.exclude(device__in=busy)
    limited = _accounts_at_daily_limit(
        set(free_due.filter(account__isnull=False).values_list("account_id", flat=True)), now
    )
    limited_q = Q(pk__in=[])
    for account_id, script in limited:
        limited_q |= Q(account_id=account_id, script_name=script)
    _set_reason(free_due.filter(limited_q), Wait.ACCOUNT_DAILY_LIMIT)
    licence_room, worker_room, limit = host_capacity(host)
    reason = Wait.NO_AUTOMATION_QUOTA if limit <= 0 else Wait.CONCURRENCY_LIMIT
    # Free phone, due, not limited: it waits only for a slot (or the next tick claims it).
    if licence_room <= 0 or worker_room <= 0:
        _set_reason(free_due.exclude(limited_q), reason)
    Task.objects.orphaned().abandon("the phone of this task was removed")


def _set_reason(queryset, reason: str) -> None:
    stale = queryset.exclude(wait_reason=reason)
    # Re-select by id: SQLite cannot UPDATE through a join on the device table.
    Task.objects.filter(pk__in=stale.values("pk")).update(wait_reason=reason)


def reap_stale_tasks(now: datetime | None = None) -> list[int]:
    """Fail running tasks whose worker stopped beating (killed, host lost). Any host may do
    this: a dead host cannot reap its own tasks."""
    reaped = Task.objects.reap(now)
    if reaped:
        log.warning("reaped stale tasks %s", reaped)
    return reaped


def schedule_auto_retries(now: datetime | None = None) -> list[int]:
    """Put failed tasks back in the queue while they have retries left (AUTO_RETRY_MAX)."""
    if settings.AUTO_RETRY_MAX <= 0:
        return []
    now = now or timezone.now()
    # Tasks that failed on their own (a person's stop is final), recently: turning the setting
    # on must not bring back last month's failures.
    candidates = Task.objects.auto_retryable().filter(ended_at__gte=now - timedelta(hours=1))
    retried = []
    low, high = settings.AUTO_RETRY_DELAY
    for task in candidates[:500]:
        try:
            task.retry(by=None, due_at=now + timedelta(seconds=random.uniform(low, high)))
        except InvalidTransition:  # a person retried, stopped or deleted it since we looked
            continue
        retried.append(task.pk)
    return retried


def tick(host: str | None = None, *, upkeep: bool = True) -> TickResult:
    """One round of the dispatcher loop. Claiming runs every round (a due task on a free phone
    starts within a fraction of a second); the upkeep (reaping, retries, wait reasons) is
    cheaper to run about once a second."""
    result = TickResult()
    if upkeep:
        result.reaped = reap_stale_tasks()
        result.retried = schedule_auto_retries()
    result.claimed = claim_due_tasks(host)
    if upkeep:
        label_waiting_tasks(host)
    return result
