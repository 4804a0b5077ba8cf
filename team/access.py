"""Object lookups for dashboard pages: one helper per model, each asking ``team.roles`` first.

Every role may read every farm object (the farm is one team's), so the helpers differ only in
the role a caller needs: ``Role.VIEWER`` to look, ``Role.OPERATOR`` to change. Team members and
tokens are owner-only. A missing object is a 404 whatever the role, checked after the role so
that a viewer cannot probe what exists by trying to change it.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404

from devices.models import Account, Device
from tasks.models import Material, Task
from team.models import ApiToken
from team.roles import Role, require_role


def role_required(minimum: Role):
    """View decorator: signed in (else the login page) and at least ``minimum`` (else 403)."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            require_role(request.user, minimum)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def device_for(user, serial: str, minimum: Role = Role.VIEWER) -> Device:
    require_role(user, minimum)
    return get_object_or_404(Device, serial=serial)


def account_for(user, pk: int, minimum: Role = Role.VIEWER) -> Account:
    require_role(user, minimum)
    return get_object_or_404(Account.objects.select_related("device"), pk=pk)


def task_for(user, pk: int, minimum: Role = Role.VIEWER) -> Task:
    require_role(user, minimum)
    return get_object_or_404(Task.objects.select_related("device", "account"), pk=pk)


def material_for(user, pk: int, minimum: Role = Role.OPERATOR) -> Material:
    require_role(user, minimum)
    return get_object_or_404(Material, pk=pk)


def member_for(user, pk: int):
    require_role(user, Role.OWNER)
    return get_object_or_404(get_user_model(), pk=pk)


def token_for(user, pk: int) -> ApiToken:
    require_role(user, Role.OWNER)
    return get_object_or_404(ApiToken.objects.select_related("user"), pk=pk)
