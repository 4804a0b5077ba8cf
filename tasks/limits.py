"""Each account's daily limits: how many follows, unfollows, posts and comments it did today.

Which scripts count is declared by the scripts themselves (``tasks/scripts/<name>.py``):

* a task of a script with a ``daily_limit`` (``follow``, ``comment``…) counts once from the
  moment it is claimed (RUNNING) and stays counted when it completes: the dispatcher reserves
  the slot before the phone acts, so two tasks can never both take the last one;
* an action a script ``records`` inside its run (a warm-up's follows and comments) is logged
  with :func:`record` as a task event whose step names the action; each such event counts once.

The dispatcher asks :func:`accounts_at_limit` which (account, script) pairs must wait; a script
asks :func:`allows` before each counted action. Counting lives only here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from devices.models import Account
from tasks.models import Task, TaskEvent
from tasks.scripts.registry import SCRIPTS, get_script

# The step of the event that records one action done inside a script (see Script.records).
ACTION_STEPS = {"follow": "followed", "unfollow": "unfollowed", "post": "posted",
                "comment": "commented"}  # fmt: skip
_STEP_ACTIONS = {step: action for action, step in ACTION_STEPS.items()}
# A task of a limited script holds its slot while running and after success.
_COUNTED_STATUSES = (Task.Status.RUNNING, Task.Status.COMPLETED)


def account_limits() -> tuple[str, ...]:
    """The actions an Account has a daily limit for: its ``daily_<action>_limit`` fields."""
    names = (f.name for f in Account._meta.get_fields())
    return tuple(
        n.removeprefix("daily_").removesuffix("_limit")
        for n in names
        if n.startswith("daily_") and n.endswith("_limit")
    )


def limited_scripts() -> dict[str, str]:
    """Script name → the daily limit each of its tasks counts against."""
    return {s.name: s.daily_limit for s in SCRIPTS.values() if s.daily_limit}


def recording_scripts() -> dict[str, list[str]]:
    """Action → the scripts that record that action inside their runs."""
    scripts: dict[str, list[str]] = defaultdict(list)
    for script in SCRIPTS.values():
        for action in script.records:
            scripts[action].append(script.name)
    return dict(scripts)


def start_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def used_today(account_ids: set[int], now: datetime | None = None) -> Counter[tuple[int, str]]:
    """(account id, action) → how many of that action the account did today."""
    used: Counter[tuple[int, str]] = Counter()
    if not account_ids:
        return used
    since = start_of_today(now or timezone.now())
    limited = limited_scripts()
    tasks = (
        Task.objects.filter(
            account_id__in=account_ids,
            script_name__in=limited,
            status__in=_COUNTED_STATUSES,
            started_at__gte=since,
        )
        .values("account_id", "script_name")
        .annotate(n=Count("id"))
    )
    for row in tasks:
        used[row["account_id"], limited[row["script_name"]]] += row["n"]
    # Only the events of scripts that record the action count: a follow task's own step log
    # is not counted again (the task already is).
    recorded = Q(pk__in=[])
    for action, scripts in recording_scripts().items():
        recorded |= Q(step=ACTION_STEPS[action], task__script_name__in=scripts)
    events = (
        TaskEvent.objects.filter(recorded, task__account_id__in=account_ids, at__gte=since)
        .values("task__account_id", "step")
        .annotate(n=Count("id"))
    )
    for row in events:
        used[row["task__account_id"], _STEP_ACTIONS[row["step"]]] += row["n"]
    return used


def accounts_at_limit(account_ids: set[int], now: datetime | None = None) -> set[tuple[int, str]]:
    """(account id, script) pairs whose account already did its daily quota of that action."""
    used, limited = used_today(account_ids, now), limited_scripts()
    blocked = set()
    for account in Account.objects.filter(pk__in=account_ids):
        for script, action in limited.items():
            if used[account.pk, action] >= account.daily_limit(action):
                blocked.add((account.pk, script))
    return blocked


def allows(account: Account | None, action: str, now: datetime | None = None) -> bool:
    """May ``account`` do one more ``action`` today? Without an account no limit applies."""
    if account is None:
        return True
    return used_today({account.pk}, now)[account.pk, action] < account.daily_limit(action)


def record(task: Task, action: str, message: str = "") -> None:
    """Log one ``action`` done inside ``task`` (a warm-up's follow), counted from now on.

    Only actions the task's script declares in ``Script.records`` are counted, so recording
    anything else is a programming error, refused here rather than silently not counted."""
    if action not in get_script(task.script_name).records:
        raise ValueError(f"{task.script_name} does not declare that it records {action}s")
    task.log(ACTION_STEPS[action], message)
