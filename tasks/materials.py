"""The media library as post tasks use it: claim unused materials atomically, then mark them
used after a successful post or release them after a failure. Never posted twice."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from tasks.models import Material, Task


def available(kind: str, *, tags: list[str] | None = None, username: str = ""):
    """Unused materials of ``kind``: never posted and not held by a live task."""
    queryset = Material.objects.filter(kind=kind, used_at__isnull=True).filter(
        Q(used_by_task__isnull=True) | Q(used_by_task__status=Task.Status.FAILED)
    )
    if tags:
        queryset = queryset.filter(tags__name__in=tags).distinct()
    if username:
        queryset = queryset.filter(Q(username="") | Q(username=username))
    else:
        queryset = queryset.filter(username="")
    return queryset.order_by("sort", "id")


def claim(task: Task, kind: str, count: int, *, tags=None, username: str = "") -> list[Material]:
    """Reserve ``count`` materials for ``task`` or none at all.

    Each reservation is a conditional UPDATE, so two tasks racing for the same file cannot
    both get it; a lost race moves on to the next candidate.
    """
    claimed: list[Material] = []
    for material in available(kind, tags=tags, username=username)[: count * 4 + 10]:
        won = (
            Material.objects.filter(pk=material.pk, used_at__isnull=True)
            .filter(Q(used_by_task__isnull=True) | Q(used_by_task__status=Task.Status.FAILED))
            .update(used_by_task=task)
        )
        if won:
            claimed.append(material)
            if len(claimed) == count:
                return claimed
    release(task)
    return []


def mark_used(task: Task) -> int:
    return Material.objects.filter(used_by_task=task, used_at__isnull=True).update(
        used_at=timezone.now()
    )


def release(task: Task) -> int:
    return Material.objects.filter(used_by_task=task, used_at__isnull=True).update(
        used_by_task=None
    )
