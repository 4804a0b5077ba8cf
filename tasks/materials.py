"""Post materials: where their files may come from, and the library's claim/use/release.

Paths: every file or folder a script reads from the PC must resolve (symlinks followed) inside
one of ``settings.MATERIAL_ROOTS``; ``material:<id>`` names an uploaded library material and is
kept as written until the runner asks for its file (:func:`material_file`). The ``check_*``
functions validate a ``script_config`` value and return it resolved, or raise ``ValueError``
with the message the API answers (``40001``) under that config key.

Library: claim unused materials atomically; mark them used just before the tap that publishes
(the post may go out even if this run never sees it confirmed); release them after a failure
before that tap, or un-use them when the app says (or a check of the profile shows) that the post
did not go out. A material whose file is gone is set aside with the reason, never picked again.
Never posted twice.
"""

from __future__ import annotations

import os
import re

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from tasks.models import Material, Task

VIDEO_EXTENSIONS = (".mp4", ".mov")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
MATERIAL_REF = re.compile(r"^material:(\d{1,18})$")

# --- paths --------------------------------------------------------------------------------------


def resolve_in_material_roots(raw: str) -> str:
    """``raw`` with symlinks resolved, if it lies inside a material root; else ValueError.

    A relative path is taken relative to the first root (where uploads land)."""
    roots = [os.path.realpath(root) for root in settings.MATERIAL_ROOTS]
    try:
        real = os.path.realpath(os.path.join(roots[0], raw))
    except (ValueError, OSError):  # NUL bytes, unreadable components
        raise ValueError(f"{raw!r} is not a usable path") from None
    if not any(os.path.commonpath([real, root]) == root for root in roots):
        raise ValueError(f"{raw!r} is outside the material folders ({', '.join(roots)})")
    return real


def material_file(entry: str) -> str:
    """The absolute file path of a ``material_list`` entry (a path or ``material:<id>``)."""
    match = MATERIAL_REF.match(entry)
    if match is None:
        return entry
    return Material.objects.get(pk=int(match.group(1))).file.path  # see tasks.storage


def check_material_list(entries: list[str], extensions: tuple[str, ...]) -> tuple[list, list]:
    """(the entries resolved, the problems found): paths confined to the roots and of one of
    ``extensions``, ``material:<id>`` references to unused library materials of that kind."""
    resolved, problems, refs = [], [], {}
    for entry in entries:
        match = MATERIAL_REF.match(entry.strip())
        if match:
            refs[int(match.group(1))] = entry.strip()
            resolved.append(entry.strip())
            continue
        try:
            path = resolve_in_material_roots(entry)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if not os.path.isfile(path):
            problems.append(f"{entry!r}: no such file")
        elif not path.lower().endswith(extensions):
            problems.append(f"{entry!r}: expected a {'/'.join(e[1:] for e in extensions)} file")
        resolved.append(path)
    if refs:
        problems.extend(_material_ref_problems(refs, extensions))
    return resolved, problems


def _material_ref_problems(refs: dict[int, str], extensions: tuple[str, ...]) -> list[str]:
    kind = Material.Kind.VIDEO if extensions == VIDEO_EXTENSIONS else Material.Kind.IMAGE
    fields = ("id", "kind", "used_at", "set_aside_reason")
    found = {m.pk: m for m in Material.objects.filter(pk__in=refs).only(*fields)}
    problems = []
    for pk, entry in refs.items():
        material = found.get(pk)
        if material is None:
            problem = "no such material"
        elif material.kind != kind:
            problem = f"is an {material.kind}, expected a {kind}"
        elif material.used_at is not None:
            problem = "was already posted (materials are never reused)"
        elif material.set_aside_reason:
            problem = f"was set aside: {material.set_aside_reason}"
        else:
            continue
        problems.append(f"{entry}: {problem}")
    return problems


def check_folder(raw: str) -> str:
    """``raw`` resolved, if it is a folder inside the material roots; else ValueError."""
    path = resolve_in_material_roots(raw)
    if not os.path.isdir(path):
        raise ValueError(f"{raw!r}: no such folder")
    return path


def check_image(raw: str) -> str:
    """``raw`` resolved, if it is a jpg/png file inside the material roots; else ValueError."""
    path = resolve_in_material_roots(raw)
    if not os.path.isfile(path) or not path.lower().endswith(IMAGE_EXTENSIONS):
        raise ValueError(f"{raw!r}: no such jpg/png file")
    return path


# --- the library --------------------------------------------------------------------------------


# A material is free when no task holds it, or its task failed before the tap that publishes
# (a material whose post may have gone out is marked used at that tap: see mark_used).
FREE = Q(used_by_task__isnull=True) | Q(used_by_task__status=Task.Status.FAILED)


def available(kind: str, *, tags: list[str] | None = None, username: str = ""):
    """Materials of ``kind`` that may be posted: never posted (nor possibly posted), not set
    aside, and not held by a live task."""
    queryset = Material.objects.filter(kind=kind, used_at__isnull=True, set_aside_reason="")
    queryset = queryset.filter(FREE)
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
            Material.objects.filter(pk=material.pk, used_at__isnull=True, set_aside_reason="")
            .filter(FREE)
            .update(used_by_task=task)
        )
        if won:
            claimed.append(material)
            if len(claimed) == count:
                return claimed
    release(task)
    return []


def mark_used(task: Task) -> int:
    """``task``'s materials are (or may be) posted: never offered again. Called just before
    the tap that publishes, and again once the post is confirmed."""
    return Material.objects.filter(used_by_task=task, used_at__isnull=True).update(
        used_at=timezone.now()
    )


def release(task: Task) -> int:
    """``task`` no longer needs the materials it claimed and did not post: free them."""
    return Material.objects.filter(used_by_task=task, used_at__isnull=True).update(
        used_by_task=None
    )


def unuse(task: Task) -> int:
    """The post of ``task`` did not go out after all (the app said it failed, or the profile
    does not show it): its materials are free again."""
    return Material.objects.filter(used_by_task=task).update(used_at=None, used_by_task=None)


def set_aside_missing(materials: list[Material]) -> list[Material]:
    """Set aside those of ``materials`` whose file is gone from the PC (they would fail every
    post that picks them); returns them."""
    missing = [m for m in materials if not os.path.isfile(m.file.path)]
    for material in missing:
        reason = f"its file {material.file.path} is missing from this PC"
        Material.objects.filter(pk=material.pk).set_aside(reason)
    return missing
