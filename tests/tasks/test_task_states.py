"""A task's life as a state machine: which changes each status allows, what each change writes,
and who wins when two writers race for the same row. Database only: no phones, no workers."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from core.errors import Code, DomainError
from tasks.models import InvalidTransition, Task
from tests.tasks.factories import make_device, make_task

pytestmark = pytest.mark.django_db
Status = Task.Status
PENDING, RUNNING, COMPLETED, FAILED = (
    Status.PENDING,
    Status.RUNNING,
    Status.COMPLETED,
    Status.FAILED,
)
NOT_RUNNING = [PENDING, COMPLETED, FAILED]


@pytest.fixture
def phone():
    return make_device()


def running(phone, **fields) -> Task:
    """A task as its worker holds it: claimed a moment ago, beating."""
    now = timezone.now()
    fields = {"started_at": now, "heartbeat_at": now, "host": "h1", **fields}
    return make_task(phone, status=RUNNING, **fields)


def failed(phone, **fields) -> Task:
    now = timezone.now()
    fields = {
        "started_at": now - timedelta(minutes=1),
        "ended_at": now,
        "heartbeat_at": now,
        "host": "h1",
        "step": "tap follow",
        "progress": 40,
        "remark": "phone disconnected",
        **fields,
    }
    return make_task(phone, status=FAILED, **fields)


def in_db(task: Task) -> Task:
    return Task.objects.get(pk=task.pk)


def copy_of(task: Task) -> Task:
    """A second writer's view of the same row, read now (like another process would)."""
    return Task.objects.get(pk=task.pk)


def steps(task: Task) -> list[str]:
    return list(task.events.values_list("step", flat=True))


def test_invalid_transition_is_a_domain_error_answered_40901():
    assert issubclass(InvalidTransition, DomainError)
    assert InvalidTransition.code == Code.INVALID_STATE == 40901


# --- claim: pending → running ----------------------------------------------------------------


def test_claiming_a_pending_task_starts_a_fresh_run_on_the_host(phone):
    task = make_task(phone, wait_reason=Task.WaitReason.DEVICE_BUSY, remark="old")
    now = timezone.now()

    assert task.claim("h1", now) is True

    row = in_db(task)
    assert (row.status, row.host, row.started_at, row.heartbeat_at) == (RUNNING, "h1", now, now)
    assert (row.wait_reason, row.step, row.progress, row.remark) == (None, "starting", 0, "")
    assert task.status == RUNNING and task.started_at == now  # the object is kept in step


@pytest.mark.parametrize("status", [RUNNING, COMPLETED, FAILED])
def test_only_a_pending_task_can_be_claimed(phone, status):
    task = make_task(phone, status=status, host="before")
    assert task.claim("h1") is False
    assert (in_db(task).status, in_db(task).host) == (status, "before")


def test_of_two_dispatchers_claiming_the_same_task_one_wins(phone):
    task = make_task(phone)
    mine, theirs = copy_of(task), copy_of(task)

    assert mine.claim("h1") is True
    assert theirs.claim("h2") is False
    assert in_db(task).host == "h1"


def test_a_claim_losing_the_phone_to_another_task_returns_false_and_spoils_nothing(phone):
    first, second = make_task(phone), make_task(phone)
    with transaction.atomic():
        assert first.claim("h1") is True
        assert second.claim("h2") is False  # one running task per phone, said the database
        other = make_task(make_device())  # the caller's transaction still works
        assert other.claim("h1") is True
    assert [in_db(t).status for t in (first, second, other)] == [RUNNING, PENDING, RUNNING]


# --- beat: running → running ------------------------------------------------------------------


def test_a_beat_freshens_the_heartbeat_of_a_running_task(phone):
    task = running(phone, heartbeat_at=timezone.now() - timedelta(seconds=20))
    before = task.heartbeat_at
    assert task.beat() is True
    assert in_db(task).heartbeat_at > before


@pytest.mark.parametrize("status", NOT_RUNNING)
def test_a_beat_on_a_task_no_longer_running_says_so_and_writes_nothing(phone, status):
    task = running(phone)
    Task.objects.filter(pk=task.pk).update(status=status, heartbeat_at=None)
    assert task.beat() is False
    assert in_db(task).heartbeat_at is None


# --- finish and fail: running → completed | failed ------------------------------------------


def test_finishing_a_running_task_completes_it(phone):
    task = running(phone)
    assert task.finish("followed 1 account") is True
    row = in_db(task)
    assert (row.status, row.remark, row.progress) == (COMPLETED, "followed 1 account", 100)
    assert row.ended_at is not None and steps(row)[-1] == "completed"


def test_failing_a_running_task_keeps_the_reason(phone):
    task = running(phone)
    assert task.fail("phone problem: device offline") is True
    row = in_db(task)
    assert (row.status, row.remark) == (FAILED, "phone problem: device offline")
    assert row.ended_at is not None and steps(row)[-1] == "failed"


@pytest.mark.parametrize("end", ["finish", "fail"])
@pytest.mark.parametrize("status", NOT_RUNNING)
def test_a_task_not_running_cannot_be_finished_or_failed(phone, end, status):
    task = running(phone)
    Task.objects.filter(pk=task.pk).update(status=status, remark="as it was")
    assert getattr(task, end)("late outcome") is False
    assert (in_db(task).status, in_db(task).remark) == (status, "as it was")
    assert steps(task) == []


def test_a_remark_longer_than_the_limit_is_cut(phone):
    task = running(phone)
    task.fail("x" * 5000)
    assert len(in_db(task).remark) == 2000


# --- stop: pending | running → failed, by a person --------------------------------------------


@pytest.mark.parametrize("status", [PENDING, RUNNING])
def test_stopping_an_active_task_fails_it_and_says_who(phone, status):
    task = make_task(phone, status=status, wait_reason=None)
    assert task.stop(by="oscar") == status  # the status it left, for the audit log

    row = in_db(task)
    assert (row.status, row.remark, row.stop_requested_by) == (FAILED, "stopped by oscar", "oscar")
    assert row.stop_requested_at is not None and row.ended_at is not None
    assert row.stopped_by_person and steps(row) == ["stopped"]


@pytest.mark.parametrize("status", [COMPLETED, FAILED])
def test_a_finished_task_cannot_be_stopped(phone, status):
    task = make_task(phone, status=status, remark="as it was")
    with pytest.raises(InvalidTransition, match="only pending or running tasks can be stopped"):
        task.stop(by="oscar")
    row = in_db(task)
    assert (row.status, row.remark, row.stop_requested_at) == (status, "as it was", None)


def test_a_task_claimed_while_being_stopped_is_stopped_as_running(phone):
    task = make_task(phone)
    copy_of(task).claim("h1")  # the dispatcher, between our read and our write
    assert task.stop(by="oscar") == RUNNING
    assert in_db(task).status == FAILED


def test_stop_first_then_the_worker_finishing_changes_nothing(phone):
    worker_view = running(phone)
    copy_of(worker_view).stop(by="oscar")

    assert worker_view.finish("done") is False
    assert worker_view.beat() is False  # so the worker cancels the script
    row = in_db(worker_view)
    assert (row.status, row.remark) == (FAILED, "stopped by oscar")


def test_the_worker_finishing_first_then_the_stop_is_refused(phone):
    task = running(phone)
    users_view = copy_of(task)
    assert task.finish("done") is True

    with pytest.raises(InvalidTransition, match="is completed"):
        users_view.stop(by="oscar")
    assert in_db(task).status == COMPLETED
    assert users_view.status == COMPLETED  # re-read, so a page can say what it is now


def test_stopping_a_deleted_task_is_refused_not_a_crash(phone):
    task = make_task(phone)
    Task.objects.filter(pk=task.pk).delete()
    with pytest.raises(InvalidTransition, match="no longer exists"):
        task.stop(by="oscar")


# --- retry: failed → pending ------------------------------------------------------------------

# What a run leaves on the row. (``step`` then names the retry: the step log's last line.)
RUN_TRACES = ["started_at", "ended_at", "heartbeat_at", "host", "progress", "remark",
              "stop_requested_at", "stop_requested_by"]  # fmt: skip


def traces(task: Task) -> dict:
    row = in_db(task)
    return {name: getattr(row, name) for name in RUN_TRACES}


CLEAN = dict.fromkeys(RUN_TRACES) | {
    "host": "",
    "progress": 0,
    "remark": "",
    "stop_requested_by": "",
}


def test_a_person_retrying_a_failed_task_queues_it_now_without_its_last_run(phone):
    task = failed(phone, retry_count=1, scheduled_at=timezone.now() - timedelta(days=1))
    task.retry(by="oscar")

    row = in_db(task)
    assert (row.status, row.retry_count, row.wait_reason) == (PENDING, 2, None)
    assert timezone.now() - row.scheduled_at < timedelta(minutes=1)
    assert traces(task) == CLEAN and row.step == "retry"
    assert task.retry_count == 2 and task.status == PENDING  # the object is kept in step
    assert row.events.last().message == "retry 2 requested by oscar"


@pytest.mark.parametrize("status", [PENDING, RUNNING, COMPLETED])
def test_only_a_failed_task_can_be_retried(phone, status):
    task = make_task(phone, status=status)
    with pytest.raises(InvalidTransition, match="only failed tasks can be retried"):
        task.retry(by="oscar")
    assert (in_db(task).status, in_db(task).retry_count) == (status, 0)


def test_a_person_may_retry_a_stopped_task_and_the_stop_is_forgotten(phone):
    task = make_task(phone)
    task.stop(by="oscar")
    task.retry(by="olivia")
    row = in_db(task)
    assert row.status == PENDING and not row.stopped_by_person


def test_the_automatic_retry_is_due_later_and_resets_what_a_manual_retry_resets(phone, settings):
    settings.AUTO_RETRY_MAX = 3
    automatic, manual = failed(phone), failed(phone)
    due = timezone.now() + timedelta(seconds=30)

    automatic.retry(by=None, due_at=due)
    manual.retry(by="oscar")

    row = in_db(automatic)
    assert (row.status, row.retry_count, row.scheduled_at) == (PENDING, 1, due)
    assert row.wait_reason == Task.WaitReason.SCHEDULED
    assert traces(automatic) == traces(manual) == CLEAN
    assert steps(row) == ["auto-retry"]
    assert row.events.last().message.endswith("after: phone disconnected")


def test_the_automatic_retry_leaves_a_task_a_person_stopped(phone, settings):
    settings.AUTO_RETRY_MAX = 3
    task = make_task(phone)
    task.stop(by="oscar")
    with pytest.raises(InvalidTransition, match="not retried automatically"):
        task.retry(by=None, due_at=timezone.now())
    assert in_db(task).status == FAILED


def test_the_automatic_retry_stops_at_the_limit_but_a_person_may_go_beyond(phone, settings):
    settings.AUTO_RETRY_MAX = 2
    task = failed(phone, retry_count=2)
    with pytest.raises(InvalidTransition, match="no retries left"):
        task.retry(by=None, due_at=timezone.now())
    task.retry(by="oscar")
    assert in_db(task).retry_count == 3


def test_of_two_retries_of_the_same_failure_one_wins(phone):
    task = failed(phone)
    mine, theirs = copy_of(task), copy_of(task)

    mine.retry(by="oscar")
    with pytest.raises(InvalidTransition, match="is pending"):
        theirs.retry(by="olivia")
    assert in_db(task).retry_count == 1


def test_a_person_retrying_first_makes_the_automatic_retry_step_aside(phone, settings):
    settings.AUTO_RETRY_MAX = 3
    task = failed(phone)
    dispatchers_view = copy_of(task)
    task.retry(by="oscar")
    with pytest.raises(InvalidTransition):
        dispatchers_view.retry(by=None, due_at=timezone.now())
    assert in_db(task).retry_count == 1


def test_retry_all_requeues_every_failed_task_and_only_those(phone):
    tasks = [failed(phone), failed(phone), make_task(phone, status=COMPLETED), make_task(phone)]
    assert Task.objects.failed().retry(by="oscar") == 2
    assert [in_db(t).status for t in tasks] == [PENDING, PENDING, COMPLETED, PENDING]
    assert [in_db(t).retry_count for t in tasks] == [1, 1, 0, 0]
    assert traces(tasks[0]) == CLEAN


def test_a_retried_run_is_not_touched_by_the_worker_of_the_previous_run(phone):
    old_worker = running(phone, started_at=timezone.now() - timedelta(minutes=1))
    copy_of(old_worker).stop(by="oscar")
    new_run = copy_of(old_worker)
    new_run.retry(by="oscar")
    new_run.claim("h2")

    assert old_worker.beat() is False
    assert old_worker.finish("done") is False
    assert (in_db(new_run).status, in_db(new_run).host) == (RUNNING, "h2")


# --- reap: stale running → failed -------------------------------------------------------------


def test_reaping_fails_running_tasks_whose_heartbeat_went_stale(phone, settings):
    stale_at = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 1)
    dead = running(phone, heartbeat_at=stale_at, host="h1")
    alive = running(make_device())
    never_beat = running(make_device(), heartbeat_at=None, host="")

    assert sorted(Task.objects.reap()) == sorted([dead.pk, never_beat.pk])
    row = in_db(dead)
    assert row.status == FAILED and row.remark.startswith("the worker on h1 stopped responding")
    assert in_db(never_beat).remark.startswith("the worker stopped responding")
    assert in_db(alive).status == RUNNING and steps(dead) == ["failed"]


def test_a_heartbeat_arriving_while_the_reaper_works_saves_its_task(settings, monkeypatch):
    stale_at = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 1)
    late = running(make_device(), heartbeat_at=stale_at)
    dead = running(make_device(), heartbeat_at=stale_at)  # newer: reaped first
    log = Task.log

    def worker_of_late_beats_meanwhile(task, *args, **kwargs):
        copy_of(late).beat()
        return log(task, *args, **kwargs)

    monkeypatch.setattr(Task, "log", worker_of_late_beats_meanwhile)
    assert Task.objects.reap() == [dead.pk]
    assert (in_db(dead).status, in_db(late).status) == (FAILED, RUNNING)


@pytest.mark.parametrize("status", NOT_RUNNING)
def test_only_running_tasks_are_reaped(phone, status):
    task = make_task(phone, status=status, heartbeat_at=None)
    assert Task.objects.reap() == []
    assert in_db(task).status == status


# --- abandon: pending → failed, never to run --------------------------------------------------


def test_waiting_tasks_whose_phone_was_removed_are_abandoned(phone):
    orphan = make_task(None, wait_reason=Task.WaitReason.DEVICE_OFFLINE)
    waiting = make_task(phone)
    orphan_running = make_task(None, status=RUNNING)

    assert Task.objects.orphaned().abandon("the phone of this task was removed") == 1
    row = in_db(orphan)
    assert (row.status, row.remark) == (FAILED, "the phone of this task was removed")
    assert row.ended_at is not None and row.wait_reason is None
    assert [in_db(t).status for t in (waiting, orphan_running)] == [PENDING, RUNNING]


# --- counts -------------------------------------------------------------------------------------


def test_counts_by_status_name_every_status_in_one_query(phone, django_assert_num_queries):
    for status in (PENDING, FAILED, FAILED):
        make_task(phone, status=status)
    with django_assert_num_queries(1):
        counts = Task.objects.count_by_status()
    assert counts == {"pending": 1, "running": 0, "completed": 0, "failed": 2}
    assert Task.objects.failed().count_by_status()["pending"] == 0


# --- upgrading ----------------------------------------------------------------------------------


def test_the_upgrade_marks_tasks_stopped_before_the_field_was_the_rule(phone):
    migration = importlib.import_module("tasks.migrations.0007_stops_by_people_are_marked")
    stopped = failed(phone, remark="stopped by oscar")
    broken = failed(phone, remark="phone disconnected")
    migration.mark_stopped_tasks(apps, None)

    row = in_db(stopped)
    assert (row.stop_requested_by, row.stop_requested_at) == ("oscar", row.ended_at)
    assert not in_db(broken).stopped_by_person
