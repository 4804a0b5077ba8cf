"""Listing, reading, stopping, retrying and deleting tasks through /api/v1/task."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEntry
from tasks.models import Task
from tests.apihelp import errors, fails, ok
from tests.tasks.factories import make_account, make_device, make_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_cache")]

URL = "/api/v1/task"
Status = Task.Status


@pytest.fixture
def phone():
    return make_device(serial="emulator-5554")


def aged(task: Task, minutes: int) -> Task:
    Task.objects.filter(pk=task.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))
    return task


# --- list ---------------------------------------------------------------------------------------


def test_the_list_is_newest_first_and_paginated(as_viewer, phone):
    old, middle, new = (aged(make_task(phone), m) for m in (30, 20, 10))

    data = ok(as_viewer.get(f"{URL}?page_size=2"))
    assert [t["id"] for t in data["tasks"]] == [new.pk, middle.pk]
    assert (data["total"], data["page"], data["page_size"]) == (3, 1, 2)

    data = ok(as_viewer.get(f"{URL}?page_size=2&page=2"))
    assert [t["id"] for t in data["tasks"]] == [old.pk]
    assert ok(as_viewer.get(f"{URL}?page=9"))["tasks"] == []


def test_page_size_defaults_to_20_and_is_clamped_at_100(as_viewer, phone):
    assert ok(as_viewer.get(URL))["page_size"] == 20
    assert ok(as_viewer.get(f"{URL}?page_size=5000"))["page_size"] == 100


def test_the_list_filters_by_status_serial_script_source_and_username(as_viewer, phone):
    other = make_device()
    account = make_account(phone, username="amy")
    failed = make_task(phone, status=Status.FAILED)
    on_other = make_task(other, script_name="post", script_config={})
    from_api = make_task(phone, source=Task.Source.API)
    as_amy = make_task(phone, account=account)

    def ids(query):
        return {t["id"] for t in ok(as_viewer.get(f"{URL}?{query}"))["tasks"]}

    assert ids("status=3") == {failed.pk}
    assert ids(f"serial={other.serial}") == {on_other.pk}
    assert ids("script_name=post") == {on_other.pk}
    assert ids("source=api") == {from_api.pk}
    assert ids("username=@amy") == ids("username=amy") == {as_amy.pk}


@pytest.mark.parametrize("query", ["", "?status=0"])
def test_the_list_costs_the_same_queries_at_any_page_size(
    as_viewer, phone, django_assert_num_queries, query
):
    for n in range(60):
        make_task(phone if n % 2 else make_device(), status=Status.PENDING)
    as_viewer.get(URL)  # token's last_used_at is written once a minute; not part of the count
    sep = "&" if query else "?"
    # The licence is cached in-process since the first request, so: token + role + count +
    # page: the device comes with each task (a join).
    for size in (5, 50):
        with django_assert_num_queries(4):
            data = ok(as_viewer.get(f"{URL}{query}{sep}page_size={size}"))
        assert len(data["tasks"]) == size


# --- detail -------------------------------------------------------------------------------------


def test_a_task_has_every_field_of_the_contract(as_viewer, phone):
    account = make_account(phone, username="amy")
    task = make_task(
        phone, account=account, script_name="account_warmup", script_config={"topic": "cats"}
    )

    data = ok(as_viewer.get(f"{URL}/{task.pk}"))

    assert set(data) == {
        "id",
        "serial",
        "device_index",
        "username",
        "script_name",
        "script_config",
        "script_args",
        "status",
        "status_text",
        "source",
        "scheduled_at",
        "start_time",
        "end_time",
        "remark",
        "retry_count",
        "progress",
        "step",
        "wait_reason",
        "created_at",
        "updated_at",
        # [ours] what the failure evidence and the app version add
        "app_version",
        "failure_screenshot_url",
        "failure_hierarchy_url",
        # [ours] a list cuts large configs to size and says so (test_config_size.py)
        "script_config_truncated",
    }
    assert data["device_index"] == phone.index and data["username"] == "amy"
    assert data["failure_screenshot_url"] is None and data["failure_hierarchy_url"] is None
    assert data["status"] == 0 and data["status_text"] == "pending"
    assert json.loads(data["script_args"]) == data["script_config"] == {"topic": "cats"}
    assert data["start_time"] is None and data["end_time"] is None


def test_secrets_inside_the_config_are_masked(as_viewer, phone):
    config = {"chatgpt_settings": {"api_key": "sk-live-123", "model": "gpt"}, "password": "pw"}
    task = make_task(phone, script_name="account_warmup", script_config=config)

    response = as_viewer.get(f"{URL}/{task.pk}")
    data = ok(response)
    assert "sk-live-123" not in response.content.decode() and "pw" not in data["script_args"]
    assert data["script_config"]["chatgpt_settings"]["model"] == "gpt"


def test_a_task_whose_phone_is_gone_still_reads(as_viewer):
    task = make_task(None)
    data = ok(as_viewer.get(f"{URL}/{task.pk}"))
    assert data["device_index"] is None and data["serial"] == "gone"


# --- stop ---------------------------------------------------------------------------------------


def test_stopping_a_pending_task_fails_it_with_who_stopped_it(as_operator, phone):
    task = make_task(phone)
    data = ok(as_operator.post(f"{URL}/{task.pk}/stop"))

    assert data["status"] == Status.FAILED and data["remark"] == "stopped by oscar"
    task.refresh_from_db()
    assert task.stop_requested_by == "oscar" and task.stop_requested_at is not None
    assert AuditEntry.objects.get(action="task.stop").object_id == str(task.pk)


def test_stopping_a_running_task_records_the_request_and_frees_the_phone(as_operator, phone):
    task = make_task(phone, status=Status.RUNNING, started_at=timezone.now())
    ok(as_operator.post(f"{URL}/{task.pk}/stop/"))

    task.refresh_from_db()
    assert task.status == Status.FAILED and task.ended_at is not None
    assert task.stop_requested_at is not None
    assert AuditEntry.objects.get(action="task.stop").detail == {"was": "running"}
    # The heartbeat of the worker running it now sees it is no longer running and cancels.
    assert not Task.objects.running().filter(device=phone).exists()


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.FAILED])
def test_finished_tasks_cannot_be_stopped(as_operator, phone, status):
    task = make_task(phone, status=status)
    fails(as_operator.post(f"{URL}/{task.pk}/stop"), 40901)
    assert not AuditEntry.objects.exists()


# --- retry --------------------------------------------------------------------------------------


def test_retrying_a_failed_task_puts_it_back_in_the_queue(as_operator, phone):
    task = make_task(
        phone,
        status=Status.FAILED,
        remark="boom",
        retry_count=1,
        scheduled_at=timezone.now() - timedelta(days=1),
    )
    data = ok(as_operator.post(f"{URL}/{task.pk}/retry"))

    assert data["status"] == Status.PENDING and data["retry_count"] == 2
    task.refresh_from_db()
    assert task.scheduled_at > timezone.now() - timedelta(minutes=1)
    assert AuditEntry.objects.filter(action="task.retry").count() == 1


@pytest.mark.parametrize("status", [Status.PENDING, Status.RUNNING, Status.COMPLETED])
def test_only_failed_tasks_can_be_retried(as_operator, phone, status):
    task = make_task(phone, status=status)
    fails(as_operator.post(f"{URL}/{task.pk}/retry"), 40901)


def test_retry_all_retries_every_failed_task(as_operator, phone):
    failed = [make_task(phone, status=Status.FAILED) for _ in range(3)]
    done = make_task(phone, status=Status.COMPLETED)

    assert ok(as_operator.post(f"{URL}/retry-all")) == {"retried_count": 3}
    assert set(Task.objects.pending().values_list("pk", flat=True)) == {t.pk for t in failed}
    assert Task.objects.get(pk=done.pk).status == Status.COMPLETED
    assert AuditEntry.objects.get(action="task.retry_all").detail == {"retried_count": 3}


# --- delete -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status))
def test_a_task_in_any_status_can_be_deleted(as_operator, phone, status):
    task = make_task(phone, status=status)
    assert ok(as_operator.delete(f"{URL}/{task.pk}")) == {"deleted_count": 1}
    assert not Task.objects.exists()
    assert AuditEntry.objects.get(action="task.delete").detail["status"] == task.status_text


def test_deleting_a_missing_task_is_40401(as_operator):
    fails(as_operator.delete(f"{URL}/12345"), 40401)


def test_batch_delete_reports_ids_that_did_not_exist(as_operator, phone):
    running = make_task(phone, status=Status.RUNNING)
    pending = make_task(make_device())
    keep = make_task(phone)

    data = ok(
        as_operator.delete(
            f"{URL}/batch", {"task_ids": [running.pk, pending.pk, 999]}, format="json"
        )
    )

    assert data == {"deleted_count": 2, "not_found": [999]}
    assert list(Task.objects.values_list("pk", flat=True)) == [keep.pk]
    assert AuditEntry.objects.get(action="task.delete_batch").detail["deleted_count"] == 2


# --- stats --------------------------------------------------------------------------------------


def test_stats_count_tasks_by_status(as_viewer, phone):
    for status, count in [(Status.PENDING, 3), (Status.COMPLETED, 2), (Status.FAILED, 1)]:
        for _ in range(count):
            make_task(phone, status=status)
    make_task(make_device(), status=Status.RUNNING)

    assert ok(as_viewer.get(f"{URL}/stats")) == {
        "total": 7,
        "pending": 3,
        "running": 1,
        "completed": 2,
        "failed": 1,
    }


def test_actions_are_not_filtered_out_by_query_parameters(as_operator, phone):
    task = make_task(phone, status=Status.FAILED)
    assert ok(as_operator.post(f"{URL}/{task.pk}/retry?status=0"))["status"] == Status.PENDING


def test_validation_errors_of_actions_are_40001(as_operator):
    assert "task_ids" in errors(as_operator.delete(f"{URL}/batch", {}, format="json"))


def test_failure_evidence_is_reachable_from_the_task(as_viewer, phone):
    from django.core.files.base import ContentFile

    task = make_task(phone, status=3, remark="the screen never showed 'publish_button'")
    task.failure_screenshot.save("shot.png", ContentFile(b"\x89PNG\r\n\x1a\nrest"), save=False)
    task.failure_hierarchy = "<hierarchy rotation='0'/>"
    task.save()

    data = ok(as_viewer.get(f"{URL}/{task.pk}"))

    shot = as_viewer.get(data["failure_screenshot_url"])
    assert shot.status_code == 200 and shot["Content-Type"] == "image/png"
    assert shot.content.startswith(b"\x89PNG")
    xml = as_viewer.get(data["failure_hierarchy_url"])
    assert xml.status_code == 200 and xml.content.decode() == "<hierarchy rotation='0'/>"


def test_a_task_without_evidence_answers_40401(as_viewer, phone):
    task = make_task(phone)
    response = as_viewer.get(f"{URL}/{task.pk}/failure-screenshot")
    assert response.status_code == 404 and response.json()["code"] == 40401
