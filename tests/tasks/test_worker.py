"""The worker's entry point leaves the phone alone unless its run is the task's current one,
and hands tasks back when the farm, not the task, is at fault (tasks/worker.py)."""

from __future__ import annotations

import uuid

import pytest

from devices.adb import PhoneLink
from tasks import worker
from tasks.models import Task
from tests.tasks.factories import make_device, make_running, make_task

pytestmark = pytest.mark.django_db(transaction=True)
Status = Task.Status


@pytest.fixture
def phone_calls(monkeypatch) -> list:
    """Every command sent to a phone (none may be, in these tests)."""
    calls: list = []
    monkeypatch.setattr(PhoneLink, "shell", lambda link, *a, **k: calls.append(a))
    return calls


def diagnostic(**fields) -> Task:
    return make_running(make_device(), script_name="diagnostic", script_config={}, worker="",
                        **fields)  # fmt: skip


def test_a_message_for_a_run_that_is_over_leaves_the_phone_and_the_task_alone(phone_calls):
    task = diagnostic()
    worker.run_task(task.pk, str(uuid.uuid4()))  # the run of a message delivered again
    row = Task.objects.get(pk=task.pk)
    assert phone_calls == [] and row.worker == "" and row.phone_held
    assert not row.events.exists()


def test_a_message_without_a_run_is_refused(phone_calls):
    task = diagnostic()
    worker.run_task(task.pk)  # queued by the code before runs had an identity
    assert phone_calls == [] and Task.objects.get(pk=task.pk).worker == ""


def test_a_run_stopped_before_any_worker_took_it_up_frees_its_phone(phone_calls):
    task = diagnostic()
    task.stop(by="oscar")
    worker.run_task(task.pk, str(task.run_id))
    row = Task.objects.get(pk=task.pk)
    assert phone_calls == [] and not row.phone_held and row.status == Status.FAILED


def test_a_run_fetched_while_the_workers_shut_down_is_handed_back_unstarted(
    phone_calls, monkeypatch
):
    monkeypatch.setattr(worker, "SHUTDOWN", _Set())
    task = diagnostic(retry_count=1)
    worker.run_task(task.pk, str(task.run_id))
    row = Task.objects.get(pk=task.pk)
    assert phone_calls == [] and (row.status, row.retry_count) == (Status.PENDING, 1)
    assert row.remark == "interrupted by shutdown before it started" and not row.phone_held


def test_a_deleted_task_is_not_run(phone_calls):
    task = make_task(make_device(), script_name="diagnostic", script_config={})
    run = str(uuid.uuid4())
    Task.objects.filter(pk=task.pk).delete()
    worker.run_task(task.pk, run)
    assert phone_calls == []


class _Set:
    def is_set(self) -> bool:
        return True
