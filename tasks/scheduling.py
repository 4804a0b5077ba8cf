"""The dispatcher: which due task runs next on which phone, and why the others wait.

One dispatcher runs per farm host (a child of ``manage.py serve``). Each tick it claims due
tasks for this host's free, online phones, oldest due first, one per phone, never more running
tasks in total than the licence allows (across all hosts) nor more than this host has worker
processes, skipping accounts that reached their daily limit. A claim is a conditional UPDATE
that must change exactly one row and starts a new run; the run's message goes on this host's
queue in the same transaction when the broker is the database (a dispatcher killed in between
leaves neither), or right after commit with Redis (a refused message hands the task straight
back). Every pending task of this host is then labelled with why it waits.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from core import licensing
from devices.models import Device
from tasks import limits, queue
from tasks.models import InvalidTransition, Task

log = logging.getLogger("tasks.dispatcher")

Wait = Task.WaitReason
# After the broker refused a message, claims pause this long (the tasks wait as broker_down).
BROKER_BACKOFF_SECONDS = 5.0
_broker_down_until = 0.0  # time.monotonic(); per dispatcher process


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
    """(free licence slots, free worker slots on this host, licence device limit). A run
    counts until its worker lets go of the phone (a stopped script winding down too)."""
    limit = licensing.current_entitlement().device_limit
    counts = Task.objects.holding().aggregate(
        total=Count("id"), here=Count("id", filter=Q(host=host))
    )
    return limit - counts["total"], settings.WORKERS - counts["here"], limit


def _busy_phones():
    """Phones a run holds (a stopped script winding down included)."""
    return Task.objects.holding().filter(device__isnull=False).values("device_id")


def _behind_a_check() -> Q:
    """Tasks that must wait because their phone has a task whose outcome is to be checked:
    the phone is kept for that check (another task would cold-start the app and could kill
    an upload still in progress, or post before the check)."""
    checking = Task.objects.pending().filter(effect__isnull=False, device__isnull=False)
    return Q(device__in=checking.values("device_id"), effect__isnull=True)


def broker_down() -> bool:
    return time.monotonic() < _broker_down_until


def _accounts_at_daily_limit(account_ids: set[int], now: datetime) -> set[tuple[int, str]]:
    """(account id, script) pairs whose account already did its daily quota of that action."""
    return limits.accounts_at_limit(account_ids, now)


def claim_due_tasks(host: str | None = None, now: datetime | None = None) -> list[int]:
    """Claim what can start now on ``host``; return the claimed task ids (already enqueued
    after commit)."""
    host = host or settings.FARM_HOST
    now = now or timezone.now()
    if broker_down():
        return []
    claimed: list[Task] = []
    with transaction.atomic():
        _serialise_dispatchers()
        licence_room, worker_room, _ = host_capacity(host)
        room = min(licence_room, worker_room)
        if room <= 0:
            return []
        free_devices = Device.objects.on_host(host).online().exclude(pk__in=_busy_phones())
        candidates = list(
            Task.objects.due(now)
            .filter(device__in=free_devices)
            .exclude(_behind_a_check())
            .order_by("scheduled_at", "id")
            .only("id", "status", "device_id", "account_id", "script_name", "script_config")[:5000]
        )
        if settings.RANDOM_ORDER_PER_DEVICE:
            random.shuffle(candidates)
        limited = _accounts_at_daily_limit({t.account_id for t in candidates if t.account_id}, now)
        taken_devices: set[int] = set()
        for task in candidates:
            if task.device_id in taken_devices or (task.account_id, task.script_name) in limited:
                continue
            if task.claim(host, now):
                claimed.append(task)
                taken_devices.add(task.device_id)
                if len(claimed) >= room:
                    break
        if claimed and queue.broker_is_database():
            # The messages are rows of this database: written in this transaction, they exist
            # exactly when the claims do. A broker error rolls the claims back with them.
            enqueue_runs(claimed, hand_back_on_error=False)
        elif claimed:
            transaction.on_commit(lambda: enqueue_runs(claimed))
    return [task.pk for task in claimed]


def enqueue_runs(tasks: list[Task], *, hand_back_on_error: bool = True) -> None:
    """Hand claimed runs to this host's worker cluster. A run the broker refuses is handed
    straight back (pending, ``broker_down``) and claims pause for BROKER_BACKOFF_SECONDS;
    without ``hand_back_on_error`` the error propagates (to roll back the claiming
    transaction)."""
    global _broker_down_until
    for task in tasks:
        try:
            queue.enqueue(task)
        except Exception as exc:
            if not hand_back_on_error:
                raise
            log.exception("could not enqueue task %s", task.pk)
            _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
            task.hand_back(
                f"the worker queue refused the run ({exc.__class__.__name__}: {exc}); queued again",
                wait_reason=Wait.BROKER_DOWN,
            )


def label_waiting_tasks(host: str | None = None, now: datetime | None = None) -> None:
    """Give every pending task of this host an up-to-date ``wait_reason``.

    Applied from the most specific reason to the least; each UPDATE skips rows already right,
    so a quiet farm writes nothing.
    """
    host = host or settings.FARM_HOST
    now = now or timezone.now()
    mine = Task.objects.pending().filter(device__host=host)
    later = mine.filter(scheduled_at__gt=now)
    _set_reason(later.filter(effect__isnull=False), Wait.CHECKING)
    _set_reason(later.filter(effect__isnull=True), Wait.SCHEDULED)
    due = mine.filter(scheduled_at__lte=now)
    for state, reason in DEVICE_STATE_REASONS.items():
        _set_reason(due.filter(device__state=state), reason)
    online_due = due.filter(device__state=Device.State.ONLINE)
    busy = _busy_phones()
    _set_reason(online_due.filter(Q(device__in=busy) | _behind_a_check()), Wait.DEVICE_BUSY)
    free_due = online_due.exclude(device__in=busy).exclude(_behind_a_check())
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
    elif broker_down():
        _set_reason(free_due.exclude(limited_q), Wait.BROKER_DOWN)
    Task.objects.orphaned().abandon("the phone of this task was removed")


# Why a due task waits for its phone, by the phone's state (online phones wait for nothing).
DEVICE_STATE_REASONS = {
    Device.State.OFFLINE: Wait.DEVICE_OFFLINE,
    Device.State.UNAUTHORIZED: Wait.DEVICE_UNAUTHORIZED,
    Device.State.UNKNOWN: Wait.ADB_SERVER_DOWN,
}


def _set_reason(queryset, reason: str) -> None:
    stale = queryset.exclude(wait_reason=reason)
    # Re-select by id: SQLite cannot UPDATE through a join on the device table.
    Task.objects.filter(pk__in=stale.values("pk")).update(wait_reason=reason)


def reap_stale_tasks(now: datetime | None = None) -> list[int]:
    """Settle runs whose worker stopped beating (killed, frozen, host lost, never picked up):
    their phones are freed and their tasks queued again or checked (Task.reap). Any host may
    do this: a dead host cannot reap its own tasks."""
    reaped = Task.objects.reap(now)
    if reaped:
        log.warning("reaped stale runs of tasks %s", reaped)
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
        # Reaped, retried, stopped or handed-back runs leave no message behind to deliver later.
        queue.discard_messages_of_ended_runs()
    result.claimed = claim_due_tasks(host)
    if upkeep:
        label_waiting_tasks(host)
    return result
