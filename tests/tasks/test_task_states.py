"""A task's life as a state machine: which changes each status allows, what each change writes,
and who wins when two writers race for the same row. Database only: no phones, no workers."""

from __future__ import annotations

import importlib
import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from core.errors import Code, DomainError
from tasks.models import MAX_CHECKS, MAX_LOST_RUNS, InvalidTransition, RunOver, Task
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
    """A task as its worker holds it: claimed a moment ago, its run begun by a worker, beating,
    holding its phone."""
    now = timezone.now()
    fields = {"started_at": now, "heartbeat_at": now, "host": "h1", "run_id": uuid.uuid4(),
              "phone_held": True, "worker": "h1:4242", **fields}  # fmt: skip
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


def test_each_claim_starts_a_new_run_holding_the_phone_not_yet_begun(phone):
    task = make_task(phone)
    assert task.claim("h1") is True
    first = in_db(task)
    assert first.run_id is not None and first.phone_held and first.worker == ""
    Task.objects.filter(pk=task.pk).update(status=PENDING, phone_held=False)
    assert copy_of(task).claim("h1") is True
    assert in_db(task).run_id != first.run_id


def test_a_phone_whose_stopped_script_has_not_let_go_cannot_be_claimed(phone):
    winding_down = running(phone)
    copy_of(winding_down).stop(by="oscar")
    waiting = make_task(phone)
    assert waiting.claim("h1") is False  # the stopped script may still be between two taps
    assert winding_down.release() is True
    assert waiting.claim("h1") is True


def test_a_claim_losing_the_phone_to_another_task_returns_false_and_spoils_nothing(phone):
    first, second = make_task(phone), make_task(phone)
    with transaction.atomic():
        assert first.claim("h1") is True
        assert second.claim("h2") is False  # one running task per phone, said the database
        other = make_task(make_device())  # the caller's transaction still works
        assert other.claim("h1") is True
    assert [in_db(t).status for t in (first, second, other)] == [RUNNING, PENDING, RUNNING]


# --- begin: a worker takes up its run ---------------------------------------------------------


def test_a_worker_begins_the_current_run_once(phone):
    task = make_task(phone)
    task.claim("h1")
    mine, other = copy_of(task), copy_of(task)
    assert mine.begin("h1:1") is True
    assert other.begin("h1:2") is False  # a second delivery of the same message
    assert in_db(task).worker == "h1:1"


def test_a_worker_holding_an_old_run_cannot_begin_it(phone):
    task = make_task(phone)
    task.claim("h1")
    stale_message = copy_of(task)
    Task.objects.filter(pk=task.pk).update(status=PENDING, phone_held=False)
    copy_of(task).claim("h1")  # claimed again: a new run
    assert stale_message.begin("h1:1") is False
    assert in_db(task).worker == ""


# --- beat: running → running ------------------------------------------------------------------


def test_a_beat_freshens_the_heartbeat_of_a_running_task(phone):
    task = running(phone, heartbeat_at=timezone.now() - timedelta(seconds=20))
    before = task.heartbeat_at
    assert task.beat() is True
    assert in_db(task).heartbeat_at > before


@pytest.mark.parametrize("status", NOT_RUNNING)
def test_a_beat_on_a_task_no_longer_running_says_so_and_writes_nothing(phone, status):
    task = running(phone)
    Task.objects.filter(pk=task.pk).update(status=status, heartbeat_at=None, phone_held=False)
    assert task.beat() is False
    assert in_db(task).heartbeat_at is None


def test_a_stopped_scripts_beat_says_stop_but_keeps_its_hold_on_the_phone_fresh(phone):
    task = running(phone, heartbeat_at=timezone.now() - timedelta(seconds=20))
    copy_of(task).stop(by="oscar")
    assert task.beat() is False
    assert timezone.now() - in_db(task).heartbeat_at < timedelta(seconds=5)


def test_the_beat_of_a_run_that_is_over_writes_nothing(phone):
    old_run = running(phone)
    Task.objects.filter(pk=old_run.pk).update(run_id=uuid.uuid4(), heartbeat_at=None)
    assert old_run.beat() is False
    assert in_db(old_run).heartbeat_at is None


# --- finish and fail: running → completed | failed ------------------------------------------


def test_finishing_a_running_task_completes_it(phone):
    task = running(phone, effect={"kind": "post", "caption": "hi"})
    assert task.finish("followed 1 account") is True
    row = in_db(task)
    assert (row.status, row.remark, row.progress) == (COMPLETED, "followed 1 account", 100)
    assert row.ended_at is not None and steps(row)[-1] == "completed"
    assert not row.phone_held and row.effect is None  # let go, and confirmed


def test_a_finished_runs_step_log_names_its_run(phone):
    task = running(phone)
    task.finish("done")
    assert set(task.events.values_list("run_id", flat=True)) == {task.run_id}


def test_failing_a_running_task_keeps_the_reason(phone):
    task = running(phone)
    assert task.fail("phone problem: device offline") is True
    row = in_db(task)
    assert (row.status, row.remark) == (FAILED, "phone problem: device offline")
    assert row.ended_at is not None and steps(row)[-1] == "failed"
    assert not row.phone_held


@pytest.mark.parametrize("end", ["finish", "fail", "hand_back", "release"])
def test_a_worker_whose_run_is_over_cannot_end_or_free_the_new_run(phone, end):
    old_worker = running(phone)
    Task.objects.filter(pk=old_worker.pk).update(run_id=uuid.uuid4())  # reaped and claimed again
    args = () if end == "release" else ("late outcome",)
    assert getattr(old_worker, end)(*args) is False
    row = in_db(old_worker)
    assert (row.status, row.phone_held) == (RUNNING, True)


def test_a_step_log_line_of_a_run_that_is_over_stops_its_worker_and_is_not_written(phone):
    task = make_task(phone)
    task.claim("h1")
    task.begin("h1:1")
    Task.objects.filter(pk=task.pk).update(run_id=uuid.uuid4())
    with pytest.raises(RunOver):
        task.log("tapping follow")
    assert steps(task) == []


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
    task = make_task(phone, status=status, wait_reason=None, phone_held=status == RUNNING)
    assert task.stop(by="oscar") == status  # the status it left, for the audit log

    row = in_db(task)
    assert (row.status, row.remark, row.stop_requested_by) == (FAILED, "stopped by oscar", "oscar")
    assert row.stop_requested_at is not None and row.ended_at is not None
    assert row.stopped_by_person and steps(row) == ["stopped"]
    # A running script still holds the phone until its worker lets go.
    assert row.phone_held == (status == RUNNING)


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
    assert new_run.claim("h2") is False  # the old script has not let go of the phone yet
    assert in_db(new_run).host == "h1"  # its worker's host, kept for the reaper meanwhile
    old_worker.release()
    assert new_run.claim("h2") is True

    assert old_worker.beat() is False
    assert old_worker.finish("done") is False
    assert (in_db(new_run).status, in_db(new_run).host) == (RUNNING, "h2")


# --- hand back and check later: running → pending, not the task's fault ----------------------


def test_handing_back_queues_the_task_again_without_counting_a_retry(phone):
    task = running(phone, retry_count=1)
    assert task.hand_back("interrupted by shutdown", step="interrupted") is True
    row = in_db(task)
    assert (row.status, row.retry_count, row.phone_held, row.worker) == (PENDING, 1, False, "")
    assert row.remark == "interrupted by shutdown" and steps(row) == ["interrupted"]
    assert timezone.now() - row.scheduled_at < timedelta(minutes=1)


def test_an_uncertain_outcome_is_checked_later_and_keeps_what_to_look_for(phone, settings):
    settings.VERIFY_DELAY_SECONDS = 30
    task = running(phone, effect={"kind": "post", "caption": "sunset #fyp"})
    assert task.check_later("the upload was not confirmed within 30s") is True
    row = in_db(task)
    assert (row.status, row.wait_reason, row.phone_held) == (PENDING, "checking_outcome", False)
    assert row.scheduled_at > timezone.now() + timedelta(seconds=20)
    assert row.effect["caption"] == "sunset #fyp" and row.effect["checks"] == 1
    assert row.effect["reason"] == "the upload was not confirmed within 30s"
    assert row.remark.startswith("outcome unknown: the upload was not confirmed")


def test_the_first_cause_of_an_uncertain_outcome_is_kept(phone):
    task = running(phone, effect={"kind": "post", "caption": "x", "checks": 1,
                                  "reason": "the phone was unplugged", "farm": False})  # fmt: skip
    task.check_later("interrupted by shutdown", farm=True)  # the check itself was interrupted
    effect = in_db(task).effect
    assert (effect["reason"], effect["farm"], effect["checks"]) == ("the phone was unplugged",
                                                                   False, 2)  # fmt: skip


def test_an_outcome_that_cannot_be_checked_fails_and_asks_a_person(phone):
    task = running(phone, effect={"kind": "post", "caption": "", "checkable": False})
    task.check_later("the phone was unplugged")
    row = in_db(task)
    assert row.status == FAILED and "look at the account on the phone" in row.remark
    assert row.effect is not None  # so the automatic retry leaves it alone
    assert not Task.objects.auto_retryable().filter(pk=task.pk).exists()


def test_after_max_checks_an_uncertain_outcome_fails(phone):
    task = running(phone, effect={"kind": "post", "caption": "x", "checks": MAX_CHECKS})
    task.check_later("the phone was unplugged")
    row = in_db(task)
    assert row.status == FAILED and f"({MAX_CHECKS} tries)" in row.remark


def test_an_action_cannot_be_committed_once_a_person_stopped_the_task(phone):
    task = running(phone)
    copy_of(task).stop(by="oscar")
    assert task.commit_effect({"kind": "post", "caption": "x"}) is False
    assert in_db(task).effect is None


def test_a_committed_action_names_its_run(phone):
    task = running(phone)
    assert task.commit_effect({"kind": "comment", "text": "wow"}) is True
    assert in_db(task).effect["run"] == str(task.run_id)


# --- reap: stale runs let go of their phone ---------------------------------------------------


def stale(settings):
    return timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 1)


def test_a_run_lost_with_its_worker_is_queued_again_and_the_phone_freed(phone, settings):
    dead = running(phone, heartbeat_at=stale(settings), host="h1", retry_count=2)
    alive = running(make_device())

    assert Task.objects.reap() == [dead.pk]
    row = in_db(dead)
    assert (row.status, row.phone_held, row.retry_count, row.lost_runs) == (PENDING, False, 2, 1)
    assert row.remark.startswith("interrupted: the worker on h1 stopped responding")
    assert in_db(alive).status == RUNNING and steps(dead) == ["queued again"]


def test_a_run_no_worker_took_up_is_queued_again_as_never_started(phone, settings):
    never_begun = running(phone, heartbeat_at=stale(settings), worker="")
    never_beat = running(make_device(), heartbeat_at=None, worker="", host="")

    assert sorted(Task.objects.reap()) == sorted([never_begun.pk, never_beat.pk])
    row = in_db(never_begun)
    assert row.status == PENDING and row.remark.startswith("never started: no worker on h1")
    assert row.lost_runs == 0  # not the task's doing
    assert in_db(never_beat).status == PENDING


def test_a_run_lost_after_its_action_was_sent_is_queued_for_a_check(phone, settings):
    task = running(phone, heartbeat_at=stale(settings), effect={"kind": "post", "caption": "x"})
    Task.objects.reap()
    row = in_db(task)
    assert (row.status, row.wait_reason) == (PENDING, "checking_outcome")
    assert row.effect["checks"] == 1 and "after the action was sent" in row.effect["reason"]


def test_a_task_whose_runs_keep_dying_fails_at_the_limit(phone, settings):
    task = running(phone, heartbeat_at=stale(settings), lost_runs=MAX_LOST_RUNS - 1)
    Task.objects.reap()
    row = in_db(task)
    assert row.status == FAILED and f"{MAX_LOST_RUNS} runs in a row" in row.remark
    assert not row.phone_held


def test_a_stopped_task_whose_worker_went_silent_only_frees_its_phone(phone, settings):
    task = running(phone, heartbeat_at=stale(settings))
    copy_of(task).stop(by="oscar")
    Task.objects.filter(pk=task.pk).update(heartbeat_at=stale(settings))
    assert Task.objects.reap() == [task.pk]
    row = in_db(task)
    assert (row.status, row.remark, row.phone_held) == (FAILED, "stopped by oscar", False)


def test_a_heartbeat_arriving_while_the_reaper_works_saves_its_task(settings, monkeypatch):
    late = running(make_device(), heartbeat_at=stale(settings))
    dead = running(make_device(), heartbeat_at=stale(settings))  # newer: reaped first
    log = Task.log

    def worker_of_late_beats_meanwhile(task, *args, **kwargs):
        copy_of(late).beat()
        return log(task, *args, **kwargs)

    monkeypatch.setattr(Task, "log", worker_of_late_beats_meanwhile)
    assert Task.objects.reap() == [dead.pk]
    assert (in_db(dead).status, in_db(late).status) == (PENDING, RUNNING)


@pytest.mark.parametrize("status", NOT_RUNNING)
def test_only_runs_holding_a_phone_are_reaped(phone, status):
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
