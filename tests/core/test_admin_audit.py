"""Changes made in the Django admin are in the audit log, like changes made anywhere else."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.management import call_command

from core.admin_site import AuditedModelAdmin
from core.models import ApiToken, AuditEntry
from devices.models import Account, Tag
from tasks.models import Task
from tests.tasks.factories import make_account, make_device, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client_as, owner):
    return client_as(owner)


def changes():
    return AuditEntry.objects.exclude(action__startswith="signin.").order_by("id")


def test_every_model_in_the_admin_is_audited():
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedModelAdmin)
    ]
    assert unaudited == []


def test_disabling_accounts_with_an_admin_action_is_audited(admin_client, owner):
    first, second = make_account(username="a1"), make_account(username="a2")
    admin_client.post(
        "/admin/devices/account/",
        {"action": "disable", "_selected_action": [first.pk, second.pk]},
        REMOTE_ADDR="10.1.1.1",
    )
    assert set(Account.objects.values_list("status", flat=True)) == {Account.Status.DISABLED}
    [entry] = changes()
    assert (entry.action, entry.user, entry.object_type, entry.ip) == (
        "admin.action", owner, "account", "10.1.1.1"
    )  # fmt: skip
    assert entry.detail["action"] == "disable" and entry.detail["count"] == 2
    assert sorted(entry.detail["ids"]) == sorted([str(first.pk), str(second.pk)])


def test_revoking_tokens_in_the_admin_is_audited(admin_client, operator):
    token, _ = ApiToken.issue(operator)
    admin_client.post("/admin/core/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert not token.is_active
    [entry] = changes()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "admin.action", "apitoken", str(token.pk)
    )  # fmt: skip


def test_deleting_tasks_in_the_admin_is_audited_once_each(admin_client):
    device = make_device()
    one, two, three = (make_task(device) for _ in range(3))
    admin_client.post(f"/admin/tasks/task/{one.pk}/delete/", {"post": "yes"})
    selected = {"action": "delete_selected", "_selected_action": [two.pk, three.pk]}
    admin_client.post("/admin/tasks/task/", selected)  # the "are you sure?" page
    assert changes().count() == 1
    admin_client.post("/admin/tasks/task/", {**selected, "post": "yes"})
    assert not Task.objects.exists()
    assert sorted((e.action, e.object_type, e.object_id) for e in changes()) == [
        ("admin.delete", "task", str(task.pk)) for task in (one, two, three)
    ]


def test_adding_and_changing_in_the_admin_is_audited_without_values(admin_client):
    admin_client.post("/admin/devices/tag/add/", {"name": "brazil"})
    tag = Tag.objects.get()
    admin_client.post(f"/admin/devices/tag/{tag.pk}/change/", {"name": "sao-paulo"})
    added, changed = changes()
    assert (added.action, added.object_id) == ("admin.add", str(tag.pk))
    assert changed.action == "admin.change"
    assert changed.detail == {"change": [{"changed": {"fields": ["Name"]}}]}
    assert "sao-paulo" not in str(changed.detail)


def test_rotating_the_field_key_is_audited():
    make_account(username="kept")
    call_command("rotate_field_key")
    entry = AuditEntry.objects.get(action="account.rotate_key")
    assert (entry.actor, entry.detail) == ("manage.py", {"accounts": 1})
