"""The dashboard's task buttons (one task, ticked tasks, retry-all) over ``tasks.actions``.

The state rules live on the Task model and the audit entries in ``tasks.actions`` (both shared
with the API); here we only apply an action to several tasks, collect what could not be done,
and say so in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tasks import actions
from tasks.models import InvalidTransition, Task

ACTIONS = ("stop", "retry", "delete", "retry_all")


@dataclass
class Outcome:
    action: str
    done: int = 0
    refused: list[str] = field(default_factory=list)  # why some tasks were left alone
    missing: list[int] = field(default_factory=list)


def apply(action: str, ids: list[int], *, user, request: HttpRequest | None = None) -> Outcome:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    outcome = Outcome(action)
    if action == "retry_all":
        outcome.done = actions.retry_all_failed(user=user, request=request)
    elif action == "delete":
        outcome.done, outcome.missing = actions.delete_tasks(ids, user=user, request=request)
    else:
        run = actions.stop_task if action == "stop" else actions.retry_task
        tasks = Task.objects.in_bulk(ids)
        outcome.missing = [pk for pk in ids if pk not in tasks]
        for task in tasks.values():
            try:
                run(task, user=user, request=request)
                outcome.done += 1
            except InvalidTransition:
                outcome.refused.append(f"#{task.pk} ({task.get_status_display()})")
    return outcome


def flash(request: HttpRequest, outcome: Outcome) -> None:
    """Tell the user what happened, in their language."""
    templates = {
        "stop": ngettext("%(n)d task stopped.", "%(n)d tasks stopped.", outcome.done),
        "retry": ngettext(
            "%(n)d task will run again.", "%(n)d tasks will run again.", outcome.done
        ),
        "retry_all": ngettext(
            "%(n)d failed task will run again.", "%(n)d failed tasks will run again.", outcome.done
        ),
        "delete": ngettext("%(n)d task deleted.", "%(n)d tasks deleted.", outcome.done),
    }
    level = messages.SUCCESS if outcome.done or not outcome.refused else messages.WARNING
    messages.add_message(request, level, templates[outcome.action] % {"n": outcome.done})
    if outcome.refused:
        reason = {
            "stop": _("Only pending or running tasks can be stopped"),
            "retry": _("Only failed tasks can be retried"),
        }[outcome.action]
        messages.warning(request, f"{reason}: {', '.join(outcome.refused[:20])}")
    if outcome.missing:
        messages.warning(
            request,
            _("Already gone: %(ids)s") % {"ids": ", ".join(f"#{pk}" for pk in outcome.missing)},
        )
