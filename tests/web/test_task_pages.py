"""Task pages: list with filters and bulk actions, the create form, the task page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEntry
from tasks.models import Task
from tests.tasks.factories import make_account, make_device, make_task

pytestmark = pytest.mark.django_db
Status = Task.Status


def test_every_role_sees_the_task_list(client_as, owner, operator, viewer):
    make_task(make_device(), script_name="comment")
    for user in (owner, operator, viewer):
        response = client_as(user).get("/tasks/")
        assert response.status_code == 200 and b"comment" in response.content


def test_viewers_get_no_bulk_actions_or_new_task_button(client_as, viewer, operator):
    make_task(make_device())
    page = client_as(viewer).get("/tasks/").content
    assert b'name="ids"' not in page and b"New task" not in page
    page = client_as(operator).get("/tasks/").content
    assert b'name="ids"' in page and b"New task" in page


def test_filters_status_script_device_account_source_and_date(client_as, viewer):
    device, other = make_device(), make_device()
    account = make_account(device, username="filtered")
    wanted = make_task(
        device, account=account, script_name="post", status=Status.FAILED, source=Task.Source.API
    )
    make_task(other, script_name="follow")
    old = make_task(device, script_name="post")
    Task.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    client = client_as(viewer)

    def ids(query: str) -> set[int]:
        return {t.pk for t in client.get(f"/tasks/?{query}").context["page"].object_list}

    assert ids("status=3") == {wanted.pk}
    assert ids("script=post") == {wanted.pk, old.pk}
    assert ids(f"device={device.serial}") == {wanted.pk, old.pk}
    assert ids(f"device=%23{device.index}") == {wanted.pk, old.pk}
    assert ids("account=@filtered") == {wanted.pk}
    assert ids("source=api") == {wanted.pk}
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert old.pk not in ids(f"date_from={since}")


def test_the_list_needs_the_same_queries_for_20_or_120_tasks(client_as, viewer):
    client = client_as(viewer)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/tasks/").status_code == 200
        return len(ctx.captured_queries)

    for _ in range(20):
        make_task(make_device())
    twenty = count()
    for _ in range(100):
        make_task(make_device())
    assert count() == twenty


def test_the_list_is_paginated(client_as, viewer):
    device = make_device()
    for _ in range(55):
        make_task(device)
    assert b"Page 1 of 2" in client_as(viewer).get("/tasks/").content
    assert len(client_as(viewer).get("/tasks/?page=2").context["page"].object_list) == 5


def test_bulk_stop_stops_active_tasks_and_says_which_it_skipped(client_as, operator):
    device = make_device()
    pending = make_task(device)
    done = make_task(device, status=Status.COMPLETED)
    response = client_as(operator).post(
        "/tasks/bulk/", {"action": "stop", "ids": [pending.pk, done.pk]}, follow=True
    )
    pending.refresh_from_db()
    assert pending.status == Status.FAILED and "stopped by oscar" in pending.remark
    page = response.content.decode()
    assert "1 task stopped." in page and f"#{done.pk}" in page
    assert AuditEntry.objects.filter(action="task.stop").count() == 1


def test_bulk_retry_and_delete(client_as, operator):
    device = make_device()
    failed = make_task(device, status=Status.FAILED)
    client = client_as(operator)
    client.post("/tasks/bulk/", {"action": "retry", "ids": [failed.pk]})
    failed.refresh_from_db()
    assert failed.status == Status.PENDING and failed.retry_count == 1
    response = client.post(
        "/tasks/bulk/", {"action": "delete", "ids": [failed.pk, 999999]}, follow=True
    )
    assert not Task.objects.exists()
    assert "#999999" in response.content.decode()


def test_retry_all_retries_every_failed_task(client_as, operator):
    device = make_device()
    for _ in range(3):
        make_task(device, status=Status.FAILED)
    response = client_as(operator).post("/tasks/retry-all/", follow=True)
    assert Task.objects.filter(status=Status.PENDING).count() == 3
    assert b"3 failed tasks will run again." in response.content


def test_a_bulk_action_without_ticks_explains(client_as, operator):
    response = client_as(operator).post("/tasks/bulk/", {"action": "stop"}, follow=True)
    assert b"tick at least one task" in response.content.lower()


def test_viewers_cannot_act_on_tasks(client_as, viewer):
    task = make_task(make_device())
    client = client_as(viewer)
    assert client.post("/tasks/bulk/", {"action": "stop", "ids": [task.pk]}).status_code == 403
    assert client.post("/tasks/retry-all/").status_code == 403
    assert client.post(f"/tasks/{task.pk}/stop/").status_code == 403
    assert client.get("/tasks/new/").status_code == 403
    task.refresh_from_db()
    assert task.status == Status.PENDING


def test_one_task_buttons(client_as, operator):
    task = make_task(make_device())
    client = client_as(operator)
    assert client.post(f"/tasks/{task.pk}/stop/").status_code == 302
    assert client.post(f"/tasks/{task.pk}/retry/").status_code == 302
    task.refresh_from_db()
    assert task.status == Status.PENDING
    assert client.post(f"/tasks/{task.pk}/stop/").status_code == 302
    assert client.post(f"/tasks/{task.pk}/delete/")["Location"] == "/tasks/"
    assert client.post(f"/tasks/{task.pk}/explode/").status_code == 404


def test_the_task_page_shows_config_wait_reason_log_and_timings(client_as, viewer):
    task = make_task(
        make_device(),
        script_config={"target_users": ["alice"]},
        wait_reason=Task.WaitReason.DEVICE_BUSY,
    )
    task.log("open profile", "alice", progress=50)
    page = client_as(viewer).get(f"/tasks/{task.pk}/").content.decode()
    assert "phone busy with another task" in page
    assert "open profile" in page and "&quot;alice&quot;" in page
    assert "data-live=" in page  # still active: the page refreshes itself


def test_a_failed_task_shows_its_screenshot_and_hierarchy(client_as, viewer):
    task = make_task(
        make_device(),
        status=Status.FAILED,
        remark="no Post button",
        failure_hierarchy='<hierarchy><node text="Oops"/></hierarchy>',
    )
    task.failure_screenshot.save("f.png", ContentFile(b"\x89PNG\r\n\x1a\nx"))
    client = client_as(viewer)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "no Post button" in page and "&lt;node text=&quot;Oops&quot;/&gt;" in page
    assert f"/tasks/{task.pk}/failure.png" in page and "data-live-final" in page
    assert client.get(f"/tasks/{task.pk}/failure.png").status_code == 200


def test_the_live_fragment_of_the_task_page(client_as, viewer):
    task = make_task(make_device())
    response = client_as(viewer).get(f"/tasks/{task.pk}/?fragment=1")
    assert response.status_code == 200 and b"<html" not in response.content


# -- the create form ----------------------------------------------------------------------------


def test_the_form_has_fields_for_the_chosen_script(client_as, operator):
    client = client_as(operator)
    follow = client.get("/tasks/new/?script=follow").content.decode()
    assert 'name="cfg_target_users"' in follow and 'name="cfg_captions"' not in follow
    post = client.get("/tasks/new/?script=post").content.decode()
    assert 'name="cfg_captions"' in post and 'name="cfg_post_way"' in post


def test_creating_follow_tasks_fans_out_per_target(client_as, operator):
    device = make_device()
    response = client_as(operator).post(
        "/tasks/new/?script=follow",
        {
            "script": "follow",
            "mode": "devices",
            "devices": [device.pk],
            "cfg_target_users": "@alice\nbob",
            "cfg_access_method": "search",
        },
    )
    assert response.status_code == 302
    tasks = Task.objects.order_by("id")
    assert [t.script_config["target_users"] for t in tasks] == [["alice"], ["bob"]]
    assert {t.source for t in tasks} == {Task.Source.UI}
    assert tasks[0].script_config["access_method"] == "search"
    assert tasks[0].created_by == operator
    assert AuditEntry.objects.filter(action="task.create").count() == 1


def test_account_mode_and_start_time(client_as, operator):
    device = make_device()
    make_account(device, username="poster")
    later = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_as(operator).post(
        "/tasks/new/",
        {
            "script": "account_warmup",
            "mode": "accounts",
            "accounts": [device.accounts.get().pk],
            "start_time": later,
            "cfg_task_duration": "120",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.username == "poster" and task.script_config["task_duration"] == 120
    assert task.scheduled_at > timezone.now() + timedelta(hours=1)


def test_a_group_targets_its_phones(client_as, operator):
    from devices.models import DeviceGroup

    group = DeviceGroup.objects.create(name="g")
    for _ in range(3):
        make_device().groups.add(group)
    client_as(operator).post(
        "/tasks/new/",
        {"script": "account_warmup", "mode": "devices", "groups": [group.pk]},
    )
    assert Task.objects.count() == 3


def test_the_form_uses_the_api_validation_and_answers_422(client_as, operator):
    device = make_device()
    client = client_as(operator)
    response = client.post(
        "/tasks/new/", {"script": "follow", "mode": "devices", "devices": [device.pk]}
    )
    assert response.status_code == 422
    assert b"give at least one user to target" in response.content
    response = client.post("/tasks/new/", {"script": "comment", "mode": "devices"})
    assert response.status_code == 422 and b"Tick at least one phone" in response.content
    response = client.post(
        "/tasks/new/",
        {
            "script": "account_warmup",
            "mode": "devices",
            "devices": [device.pk],
            "cfg_min_duration": "50",
            "cfg_max_duration": "10",
        },
    )
    assert response.status_code == 422 and b"must not exceed max_duration" in response.content
    assert not Task.objects.exists()


def test_service_errors_land_on_the_form(client_as, operator):
    device = make_device()  # no account on it
    response = client_as(operator).post(
        "/tasks/new/",
        {
            "script": "account_warmup",
            "mode": "devices",
            "devices": [device.pk],
            "enable_multi_account": "on",
        },
    )
    assert response.status_code == 422 and b"no enabled account" in response.content
