"""Secrets inside a task's config (passwords, API keys, tokens) are masked wherever a config is
shown: the API, the dashboard's task page, the admin, the audit log (issue 16 item 1)."""

from __future__ import annotations

import pytest

from core.audit import record
from core.jsonview import MASK, masked
from core.models import AuditEntry
from tests.apihelp import ok
from tests.tasks.factories import make_device, make_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_cache")]

SECRETS = ("sk-live-123", "hunter2", "tok-abc", "s3cr3t", "AKIA-KEY")
CONFIG = {
    "topic": "cats",
    "chatgpt_settings": {"api_key": "sk-live-123", "model": "gpt-4o", "apiKey": "sk-live-123"},
    "password": "hunter2",
    "accounts": [{"access_token": "tok-abc", "name": "alice"}],
    "nested": {"deeper": {"client-secret": "s3cr3t", "Access-Key": "AKIA-KEY"}},
}


@pytest.fixture
def task():
    return make_task(make_device(), script_name="account_warmup", script_config=CONFIG)


def assert_no_secret(text: str) -> None:
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == [], f"shown in clear: {leaked}"


def test_the_mask_covers_every_spelling_and_depth_and_keeps_the_rest():
    shown = masked(CONFIG)
    assert_no_secret(repr(shown))
    assert shown["chatgpt_settings"] == {"api_key": MASK, "model": "gpt-4o", "apiKey": MASK}
    assert shown["accounts"] == [{"access_token": MASK, "name": "alice"}]
    assert shown["topic"] == "cats" and shown["nested"]["deeper"]["client-secret"] == MASK
    # Nothing to hide: an empty secret stays empty, so a page can say none was given.
    assert masked({"password": "", "token": None}) == {"password": "", "token": None}
    assert CONFIG["password"] == "hunter2"  # the stored value is untouched


def test_a_viewer_sees_the_config_masked_on_the_task_page(client_as, viewer, task):
    response = client_as(viewer).get(f"/tasks/{task.pk}/")
    page = response.content.decode()
    assert response.status_code == 200 and "gpt-4o" in page and MASK in page
    assert_no_secret(page)


def test_the_api_detail_and_list_mask_the_config(api_as, viewer, task):
    api = api_as(viewer)
    detail = api.get(f"/api/v1/task/{task.pk}")
    listed = api.get("/api/v1/task")
    assert ok(detail)["script_config"]["chatgpt_settings"]["model"] == "gpt-4o"
    assert ok(listed)["tasks"][0]["script_config"]["password"] == MASK
    assert_no_secret(detail.content.decode() + listed.content.decode())


def test_the_admin_shows_the_config_masked_and_read_only(client_as, owner, task):
    response = client_as(owner).get(f"/admin/tasks/task/{task.pk}/change/")
    page = response.content.decode()
    assert response.status_code == 200 and "gpt-4o" in page
    assert_no_secret(page)
    # Not a form field: saving the page would write the mask over the real secrets.
    assert "script_config" not in response.context["adminform"].form.fields


def test_an_audit_entry_never_stores_a_secret_in_its_detail(client_as, owner):
    record("task.note", actor="test", detail={"config": CONFIG})
    assert_no_secret(repr(AuditEntry.objects.get(action="task.note").detail))
    assert_no_secret(client_as(owner).get("/audit/").content.decode())
