"""Writing the audit trail: one function every mutation calls."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from core.jsonview import masked
from core.models import AuditEntry


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy sets it.
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record(
    action: str,
    *,
    user=None,
    actor: str | None = None,
    obj: Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    detail: dict | None = None,
    request=None,
) -> AuditEntry:
    """Record that ``user`` (or a named ``actor``) did ``action`` to ``obj``. Secrets in
    ``detail`` (a config, say) are masked before they are stored: the log is for reading."""
    if user is not None and not user.is_authenticated:
        user = None
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or obj.pk
    return AuditEntry.objects.create(
        user=user,
        actor=actor or (user.get_username() if user is not None else "system"),
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id not in (None, "") else "",
        detail=masked(detail or {}),
        ip=client_ip(request),
    )
