"""Team roles: the one place that decides who may do what.

Three roles, ordered: viewer < operator < owner. A user's role is the Django group of that name;
owners are also superusers so the Django admin lets them manage every model. Views, API endpoints
and the admin all ask ``has_role``/``require_role`` here, never the groups directly.
"""

from __future__ import annotations

from enum import IntEnum
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.core.exceptions import PermissionDenied
from django.db import transaction


class Role(IntEnum):
    NONE = 0
    VIEWER = 1
    OPERATOR = 2
    OWNER = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> Role:
        try:
            role = cls[label.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {label!r}: use owner, operator or viewer") from None
        if role is cls.NONE:
            raise ValueError("a team member needs a role: owner, operator or viewer")
        return role


ROLE_GROUPS = [Role.VIEWER.label, Role.OPERATOR.label, Role.OWNER.label]


def role_of(user: AbstractBaseUser | AnonymousUser | None) -> Role:
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.NONE
    if user.is_superuser:
        return Role.OWNER
    cached = getattr(user, "_team_role", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = max((Role.from_label(n) for n in names if n in ROLE_GROUPS), default=Role.NONE)
        user._team_role = cached
    return cached


def has_role(user, minimum: Role) -> bool:
    return role_of(user) >= minimum


def require_role(user, minimum: Role) -> None:
    if not has_role(user, minimum):
        raise PermissionDenied(f"This needs the {minimum.label} role.")


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


@transaction.atomic
def set_role(user, role: Role) -> None:
    """Give ``user`` exactly one role. Owners become superusers (full admin); others do not."""
    groups = {g.name: g for g in Group.objects.filter(name__in=ROLE_GROUPS)}
    for name in ROLE_GROUPS:
        if name not in groups:
            groups[name] = Group.objects.create(name=name)
    user.groups.remove(*[groups[n] for n in ROLE_GROUPS if n != role.label])
    user.groups.add(groups[role.label])
    user.is_superuser = role is Role.OWNER
    user.is_staff = role is Role.OWNER
    user.save(update_fields=["is_superuser", "is_staff"])
    user._team_role = role
