"""Roles are ordered viewer < operator < owner and checked through one helper."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from core.roles import Role, has_role, require_role, role_of, set_role


def test_anonymous_has_no_role():
    assert role_of(AnonymousUser()) is Role.NONE


@pytest.mark.django_db
def test_each_persona_has_its_role(owner, operator, viewer, outsider):
    assert [role_of(u) for u in (owner, operator, viewer, outsider)] == [
        Role.OWNER, Role.OPERATOR, Role.VIEWER, Role.NONE
    ]  # fmt: skip


@pytest.mark.django_db
def test_roles_are_ordered(operator, viewer):
    assert has_role(operator, Role.VIEWER)
    assert has_role(operator, Role.OPERATOR)
    assert not has_role(operator, Role.OWNER)
    with pytest.raises(PermissionDenied, match="operator"):
        require_role(viewer, Role.OPERATOR)


@pytest.mark.django_db
def test_changing_role_replaces_the_old_one_and_owner_means_admin(viewer):
    set_role(viewer, Role.OWNER)
    viewer.refresh_from_db()
    assert viewer.is_superuser and viewer.is_staff
    assert list(viewer.groups.values_list("name", flat=True)) == ["owner"]
    set_role(viewer, Role.OPERATOR)
    viewer.refresh_from_db()
    assert not viewer.is_superuser and not viewer.is_staff
    assert role_of(viewer) is Role.OPERATOR


@pytest.mark.django_db
def test_a_deactivated_user_has_no_role(owner):
    owner.is_active = False
    assert role_of(owner) is Role.NONE


@pytest.mark.django_db
def test_only_owners_reach_the_admin(client_as, owner, operator):
    assert client_as(owner).get("/admin/").status_code == 200
    assert client_as(operator).get("/admin/").status_code == 302  # to the admin login
