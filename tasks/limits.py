"""Each account's daily limits: how many follows, unfollows, posts and comments it did today.

Two kinds of work count against a limit:

* a task of a limited script (``follow``, ``comment``…) counts once from the moment it is
  claimed (RUNNING) and stays counted when it completes: the dispatcher reserves the slot before
  the phone acts, so two tasks can never both take the last one;
* an action done inside another script (a warm-up's follows and comments) is logged with
  :func:`record` as a task event whose step names the action; each such event counts once.

The dispatcher asks :func:`accounts_at_limit` which (account, script) pairs must wait; a script
asks :func:`allows` before each counted action. Counting lives only here.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db.models import Count
from django.utils import timezone

from devices.models import Account
from tasks.models import Task, TaskEvent

# Which daily limit each script counts against (see Account.daily_*_limit).
DAILY_LIMITED_ACTIONS = {"post": "post", "follow": "follow", "unfollow": "unfollow",
                         "comment": "comment"}  # fmt: skip
# The step of the event that records one action done inside another script.
ACTION_STEPS = {"follow": "followed", "comment": "commented"}
_STEP_ACTIONS = {step: action for action, step in ACTION_STEPS.items()}
# A task of a limited script holds its slot while running and after success.
_COUNTED_STATUSES = (Task.Status.RUNNING, Task.Status.COMPLETED)


def start_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def used_today(account_ids: set[int], now: datetime | None = None) -> Counter[tuple[int, str]]:
    """(account id, action) → how many of that action the account did today."""
    used: Counter[tuple[int, str]] = Counter()
    if not account_ids:
        return used
    since = start_of_today(now or timezone.now())
    tasks = (
        Task.objects.filter(
            account_id__in=account_ids,
            script_name__in=DAILY_LIMITED_ACTIONS,
            status__in=_COUNTED_STATUSES,
            started_at__gte=since,
        )
        .values("account_id", "script_name")
        .annotate(n=Count("id"))
    )
    for row in tasks:
        used[row["account_id"], DAILY_LIMITED_ACTIONS[row["script_name"]]] += row["n"]
    # A limited script's own step log is not counted again: the task already is.
    events = (
        TaskEvent.objects.filter(
            task__account_id__in=account_ids, step__in=_STEP_ACTIONS, at__gte=since
        )
        .exclude(task__script_name__in=DAILY_LIMITED_ACTIONS)
        .values("task__account_id", "step")
        .annotate(n=Count("id"))
    )
    for row in events:
        used[row["task__account_id"], _STEP_ACTIONS[row["step"]]] += row["n"]
    return used


def accounts_at_limit(account_ids: set[int], now: datetime | None = None) -> set[tuple[int, str]]:
    """(account id, script) pairs whose account already did its daily quota of that action."""
    used = used_today(account_ids, now)
    blocked = set()
    for account in Account.objects.filter(pk__in=account_ids):
        for script, action in DAILY_LIMITED_ACTIONS.items():
            if used[account.pk, action] >= account.daily_limit(action):
                blocked.add((account.pk, script))
    return blocked


def allows(account: Account | None, action: str, now: datetime | None = None) -> bool:
    """May ``account`` do one more ``action`` today? Without an account no limit applies."""
    if account is None:
        return True
    return used_today({account.pk}, now)[account.pk, action] < account.daily_limit(action)


def record(task: Task, action: str, message: str = "") -> None:
    """Log one ``action`` done inside ``task`` (a warm-up's follow), counted from now on."""
    task.log(ACTION_STEPS[action], message)
