"""Looking up tasks and materials for a user: the role first, then the object (else 404).

Same rule as ``devices.access``: viewers look, operators change; materials are an operator's
workspace, so even reading one through these helpers defaults to the operator role.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from core.roles import Role, require_role
from tasks.models import Material, Task


def task_for(user, pk: int, minimum: Role = Role.VIEWER) -> Task:
    require_role(user, minimum)
    return get_object_or_404(Task.objects.select_related("device", "account"), pk=pk)


def material_for(user, pk: int, minimum: Role = Role.OPERATOR) -> Material:
    require_role(user, minimum)
    return get_object_or_404(Material, pk=pk)
