"""Creating tasks: one request → its fan-out of tasks, all or nothing.

Used by the API (``POST /api/v1/task``) and the dashboard's task form::

    from tasks.creation import CreateRequest, create_tasks

    created = create_tasks(
        CreateRequest(script_name="follow", script_config={"target_users": ["a", "b"]},
                      serials=["emulator-5554"], source=Task.Source.UI),
        user=request.user, request=request,
    )
    created.task_ids  # [..]

Unknown ``script_config`` keys are not stored (``Created.ignored_keys`` names them: see
``tasks.scripts.registry``). Problems raise Django's ``ValidationError`` whose ``message_dict``
names every offender at once (``serials``, ``usernames``, ``start_time``, ``min_interval``,
``script_config.<key>``), or ``tasks.scripts.registry.ScriptError`` for the script name;
nothing is created then. The tasks are written with one ``bulk_create`` in one transaction,
with a single audit entry.

Fan-out: each target is a phone (device mode), an account on its phone (account mode, or device
mode with ``enable_multi_account``); each target gets one task per config the script's fan-out
rule makes (``follow``: one per target user, ``comment``: one per post URL, others: one).
"""

from __future__ import annotations

import random
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import record
from devices.models import Account, Device
from tasks.models import Task
from tasks.scripts.registry import Script, get_script

HH_MM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MAX_INTERVAL_MINUTES = 24 * 60
MAX_TASKS_PER_REQUEST = 20_000  # a farm of 500 phones × 40 targets; beyond that, split it
# A start further ahead is a typo (9999 for 2025), and it keeps spaced-out tasks in the calendar.
MAX_START_AHEAD = timedelta(days=10 * 365)


@dataclass(frozen=True)
class CreateRequest:
    """What to run where. Exactly one of ``serials`` (device mode) and ``usernames`` (account
    mode, with or without the leading ``@``) is given."""

    script_name: str
    script_config: dict
    serials: list[str] | None = None
    usernames: list[str] | None = None
    enable_multi_account: bool = False
    start_time: str | datetime | None = None
    min_interval: int = 0  # minutes between consecutive tasks on one phone (legacy fields)
    max_interval: int = 0
    source: str = Task.Source.API


@dataclass(frozen=True)
class Created:
    task_ids: list[int]
    batch_id: uuid.UUID
    ignored_keys: list[str] = field(default_factory=list)  # script_config keys not stored

    def as_data(self) -> dict[str, Any]:
        """The API's ``data``: ``{"task_ids": [..], "created_count": n, "ignored_keys": [..]}``."""
        return {
            "task_ids": self.task_ids,
            "created_count": len(self.task_ids),
            "ignored_keys": self.ignored_keys,
        }


@dataclass(frozen=True)
class Target:
    device: Device
    account: Account | None = None


def create_tasks(
    req: CreateRequest, *, user=None, actor: str | None = None, request=None, now=None
) -> Created:
    """Validate ``req`` whole, then create its tasks in one transaction (see module doc)."""
    now = now or timezone.now()
    script = get_script(req.script_name, api=req.source == Task.Source.API)
    errors: dict[str, list[str]] = {}
    config = _clean_config(script, req.script_config, errors)
    scheduled_at = _scheduled_at(req.start_time, now, errors)
    _check_interval(req, errors)
    with transaction.atomic():
        targets = resolve_targets(req, (config or {}).get("platform"), errors)
        if errors:
            raise ValidationError(errors)
        tasks = _build_tasks(script, config, targets, scheduled_at, req, user, now)
        Task.objects.bulk_create(tasks, batch_size=2000)
        ignored = script.unknown_keys(req.script_config)
        created = Created([t.pk for t in tasks], tasks[0].batch_id, ignored)
        record(
            "task.create",
            user=user,
            actor=actor,
            object_type="task batch",
            object_id=created.batch_id,
            request=request,
            detail=_audit_detail(req, created),
        )
    return created


def _clean_config(script: Script, raw: Any, errors: dict) -> dict | None:
    try:
        return script.validate(raw)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            name = "script_config" if key == "script_config" else f"script_config.{key}"
            errors.setdefault(name, []).extend(messages)
        return None


# --- when ---------------------------------------------------------------------------------------


def parse_start_time(value: str | datetime | None, now: datetime) -> datetime:
    """When a task becomes due: ``None``/"" → now; ``"HH:MM"`` → that time in TIME_ZONE today,
    or tomorrow if it is already past; an ISO-8601 date-time (naive means TIME_ZONE).
    Raises ValueError with a message for the user."""
    zone = ZoneInfo(settings.TIME_ZONE)
    if value is None or value == "":
        return now
    if isinstance(value, datetime):
        return _within_reach(value if timezone.is_aware(value) else value.replace(tzinfo=zone), now)
    if not isinstance(value, str):
        raise ValueError("must be a string")
    match = HH_MM.match(value.strip())
    if match:
        return _next_clock_time(int(match.group(1)), int(match.group(2)), now, zone)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f'use "HH:MM" ({settings.TIME_ZONE} time) or an ISO-8601 date-time, '
            f"e.g. 2025-06-01T14:30:00+00:00; got {value!r}"
        ) from None
    return _within_reach(moment if timezone.is_aware(moment) else moment.replace(tzinfo=zone), now)


def _within_reach(moment: datetime, now: datetime) -> datetime:
    """``moment`` in UTC, if it is at most MAX_START_AHEAD away: year 9999 in another time
    zone may not exist in UTC at all, and spacing tasks after it would run past the calendar."""
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("is outside the calendar (years 1 to 9999 in UTC)") from None
    if moment - now > MAX_START_AHEAD:
        raise ValueError(f"must be at most {MAX_START_AHEAD.days // 365} years ahead")
    return moment


def _next_clock_time(hour: int, minute: int, now: datetime, zone: ZoneInfo) -> datetime:
    local_now = now.astimezone(zone)
    day: date = local_now.date()
    candidate = datetime.combine(day, time(hour, minute), tzinfo=zone)
    # The current minute still counts as "now"; anything earlier today means tomorrow.
    if candidate < local_now.replace(second=0, microsecond=0):
        candidate = datetime.combine(day + timedelta(days=1), time(hour, minute), tzinfo=zone)
    return candidate


def _scheduled_at(value, now: datetime, errors: dict) -> datetime:
    try:
        return parse_start_time(value, now)
    except ValueError as exc:
        errors.setdefault("start_time", []).append(str(exc))
        return now


def _check_interval(req: CreateRequest, errors: dict) -> None:
    for name in ("min_interval", "max_interval"):
        value = getattr(req, name)
        if not 0 <= value <= MAX_INTERVAL_MINUTES:
            errors.setdefault(name, []).append(f"must be 0 to {MAX_INTERVAL_MINUTES} minutes")
    if req.min_interval > req.max_interval:
        errors.setdefault("min_interval", []).append("must not exceed max_interval")


# --- where --------------------------------------------------------------------------------------


def resolve_targets(req: CreateRequest, platform: str | None, errors: dict) -> list[Target]:
    """The phones/accounts the tasks run on, in request order; unknown or unusable ones are
    added to ``errors`` by name. A constant number of queries, whatever the list sizes."""
    if (req.serials is None) == (req.usernames is None):
        errors.setdefault("serials", []).append("give either serials or usernames (not both)")
        return []
    given, name = (
        (req.serials, "serials") if req.serials is not None else (req.usernames, "usernames")
    )
    if not given:
        errors.setdefault(name, []).append("must not be empty")
        return []
    if req.usernames is not None:
        return _account_targets(req.usernames, platform, errors)
    devices = _devices(req.serials, errors)
    if req.enable_multi_account:
        return _multi_account_targets(devices, platform, errors)
    return [Target(device) for device in devices]


def _devices(serials: list[str], errors: dict) -> list[Device]:
    wanted = list(dict.fromkeys(s.strip() for s in serials))
    found = {d.serial: d for d in Device.objects.filter(serial__in=wanted)}
    unknown = [s for s in wanted if s not in found]
    if unknown:
        errors.setdefault("serials", []).append("unknown serial: " + ", ".join(unknown))
    return [found[s] for s in wanted if s in found]


def _multi_account_targets(devices: list[Device], platform: str | None, errors) -> list[Target]:
    accounts = Account.objects.enabled().filter(device__in=devices).order_by("username", "pk")
    if platform:
        accounts = accounts.filter(platform=platform)
    by_device: dict[int, list[Account]] = defaultdict(list)
    for account in accounts:
        by_device[account.device_id].append(account)
    empty = [d.serial for d in devices if not by_device[d.pk]]
    if empty:
        errors.setdefault("serials", []).append(
            "no enabled account on: " + ", ".join(empty) + " (enable_multi_account)"
        )
    return [Target(d, account) for d in devices for account in by_device[d.pk]]


def _account_targets(usernames: list[str], platform: str | None, errors) -> list[Target]:
    wanted = list(dict.fromkeys(Account.normalise_username(u) for u in usernames))
    accounts = Account.objects.filter(username__in=wanted).select_related("device")
    if platform:
        accounts = accounts.filter(platform=platform)
    found: dict[str, list[Account]] = defaultdict(list)
    for account in accounts:
        found[account.username].append(account)
    problems: dict[str, list[str]] = defaultdict(list)
    targets = []
    for name in wanted:
        matches = found.get(name, [])
        if not matches:
            problems["unknown account"].append(name)
        elif len(matches) > 1:
            problems["on several platforms (add platform to script_config)"].append(name)
        elif not matches[0].is_enabled:
            problems["disabled account"].append(name)
        elif matches[0].device is None:
            problems["account not on any phone"].append(name)
        else:
            targets.append(Target(matches[0].device, matches[0]))
    for problem, names in problems.items():
        errors.setdefault("usernames", []).append(
            f"{problem}: " + ", ".join("@" + n for n in names)
        )
    return targets


# --- the rows -----------------------------------------------------------------------------------


def _build_tasks(script, config, targets, scheduled_at, req, user, now) -> list[Task]:
    batch_id = uuid.uuid4()
    configs = script.fan_out(config)
    _check_size(len(targets) * len(configs))
    next_due: dict[int, datetime] = {}
    created_by = user if getattr(user, "pk", None) else None
    tasks = []
    for target in targets:
        for variant in configs:
            due = next_due.get(target.device.pk, scheduled_at)
            next_due[target.device.pk] = due + _gap(req)
            tasks.append(
                Task(
                    device=target.device,
                    serial=target.device.serial,
                    account=target.account,
                    username=target.account.username if target.account else "",
                    script_name=script.name,
                    script_config=variant,
                    source=req.source,
                    scheduled_at=due,
                    wait_reason=Task.WaitReason.SCHEDULED if due > now else None,
                    batch_id=batch_id,
                    batch_position=len(tasks),
                    created_by=created_by,
                    created_at=now,
                )
            )
    return tasks


def _check_size(count: int) -> None:
    if count > MAX_TASKS_PER_REQUEST:
        message = f"this would create {count} tasks; the limit is {MAX_TASKS_PER_REQUEST}"
        raise ValidationError({"body": [message + " per request: split it"]})


def _gap(req: CreateRequest) -> timedelta:
    if req.max_interval <= 0:
        return timedelta(0)
    return timedelta(minutes=random.uniform(req.min_interval, req.max_interval))


def _audit_detail(req: CreateRequest, created: Created) -> dict:
    return {
        "script": req.script_name,
        "source": req.source,
        "created_count": len(created.task_ids),
        "first_id": created.task_ids[0],
        "last_id": created.task_ids[-1],
        "serials": (req.serials or [])[:50],
        "usernames": (req.usernames or [])[:50],
    }
