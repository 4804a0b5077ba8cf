"""The dispatcher's rules: one task per phone, due order, licence and worker limits, daily
limits, and a reason on every waiting task."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Licence
from devices.models import Device
from tasks import scheduling
from tasks.models import Task
from tests.tasks.factories import make_account, make_device, make_running, make_task

pytestmark = pytest.mark.django_db
Status, Wait = Task.Status, Task.WaitReason


@pytest.fixture(autouse=True)
def plenty_of_workers(settings):
    settings.WORKERS = 50


def statuses(*tasks):
    return [Task.objects.get(pk=t.pk).status for t in tasks]


def reasons(*tasks):
    return [Task.objects.get(pk=t.pk).wait_reason for t in tasks]


def test_a_due_task_on_a_free_phone_is_claimed():
    task = make_task(make_device())
    assert scheduling.claim_due_tasks() == [task.pk]
    task.refresh_from_db()
    assert (task.status, task.wait_reason, task.step) == (Status.RUNNING, None, "starting")
    assert task.started_at and task.heartbeat_at and task.host


def test_a_claim_and_its_queue_message_commit_together_with_the_database_broker():
    from django.db import transaction
    from django_q.models import OrmQ

    task = make_task(make_device())
    with pytest.raises(KeyboardInterrupt), transaction.atomic():
        assert scheduling.claim_due_tasks() == [task.pk]
        raise KeyboardInterrupt  # the dispatcher killed before it commits: neither is left
    assert statuses(task) == [Status.PENDING] and not OrmQ.objects.exists()

    scheduling.claim_due_tasks()
    task.refresh_from_db()
    (message,) = OrmQ.objects.all()
    assert message.task["args"] == (task.pk, str(task.run_id))  # the message names the run


def test_with_redis_a_refused_message_hands_the_task_straight_back(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(scheduling.queue, "broker_is_database", lambda: False)

    def refuse(task):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(scheduling.queue, "enqueue", refuse)
    monkeypatch.setattr(scheduling, "_broker_down_until", 0.0)
    task = make_task(make_device())
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.claim_due_tasks()
    task.refresh_from_db()
    assert (task.status, task.wait_reason, task.phone_held) == (Status.PENDING, Wait.BROKER_DOWN,
                                                                False)  # fmt: skip
    assert "the worker queue refused the run (ConnectionError: redis is down)" in task.remark
    assert scheduling.broker_down() and scheduling.claim_due_tasks() == []  # a pause, no churn


def test_one_task_at_a_time_per_phone_oldest_due_first():
    phone = make_device()
    now = timezone.now()
    later = make_task(phone, scheduled_at=now - timedelta(minutes=1))
    first = make_task(phone, scheduled_at=now - timedelta(minutes=5))
    assert scheduling.claim_due_tasks() == [first.pk]
    assert scheduling.claim_due_tasks() == []  # the phone is busy now
    assert statuses(first, later) == [Status.RUNNING, Status.PENDING]


def test_the_database_refuses_a_second_run_holding_a_phone():
    from django.db import IntegrityError

    phone = make_device()
    make_running(phone)
    make_task(phone, status=Status.FAILED, phone_held=False)
    with pytest.raises(IntegrityError):
        make_running(phone)


def test_tasks_on_other_hosts_or_offline_phones_are_not_claimed():
    make_task(make_device(host="other-host"))
    make_task(make_device(state=Device.State.OFFLINE))
    make_task(make_device(state=Device.State.UNAUTHORIZED))
    make_task(make_device(state=Device.State.UNKNOWN))
    assert scheduling.claim_due_tasks() == []


def test_future_tasks_wait_as_scheduled():
    task = make_task(make_device(), scheduled_at=timezone.now() + timedelta(hours=1))
    scheduling.tick()
    task.refresh_from_db()
    assert (task.status, task.wait_reason) == (Status.PENDING, Wait.SCHEDULED)


def test_never_more_running_tasks_than_the_licence_allows(monkeypatch):
    from core import licensing

    real = licensing.current_entitlement

    def two_devices():
        ent = real()
        return licensing.Entitlement(ent.plan, 2, ent.expires_at, "", False, "")

    monkeypatch.setattr(licensing, "current_entitlement", two_devices)
    tasks = [make_task(make_device()) for _ in range(5)]
    scheduling.tick()
    scheduling.tick()
    assert Task.objects.running().count() == 2
    waiting = Task.objects.pending()
    assert set(waiting.values_list("wait_reason", flat=True)) == {Wait.CONCURRENCY_LIMIT}
    assert len(tasks) == 5


def test_worker_slots_on_this_host_limit_claims(settings):
    settings.WORKERS = 1
    for _ in range(3):
        make_task(make_device())
    assert len(scheduling.claim_due_tasks()) == 1


def test_free_plan_waits_for_an_automation_quota():
    Licence.objects.all().delete()
    from core import licensing

    licensing.ensure_trial()
    Licence.objects.filter(is_trial=True).update(expires_at=timezone.now() - timedelta(days=1))
    task = make_task(make_device())
    scheduling.tick()
    task.refresh_from_db()
    assert (task.status, task.wait_reason) == (Status.PENDING, Wait.NO_AUTOMATION_QUOTA)


def test_wait_reasons_say_what_the_phone_waits_for():
    offline = make_task(make_device(state=Device.State.OFFLINE))
    unauthorized = make_task(make_device(state=Device.State.UNAUTHORIZED))
    server_silent = make_task(make_device(state=Device.State.UNKNOWN))
    phone = make_device()
    make_running(phone)
    queued = make_task(phone)
    scheduling.tick()
    assert reasons(offline, unauthorized, server_silent, queued) == [
        Wait.DEVICE_OFFLINE, Wait.DEVICE_UNAUTHORIZED, Wait.ADB_SERVER_DOWN, Wait.DEVICE_BUSY,
    ]  # fmt: skip


def test_a_phone_whose_stopped_script_is_winding_down_is_busy():
    phone = make_device()
    stopping = make_running(phone)
    stopping.stop(by="oscar")
    queued = make_task(phone)
    scheduling.tick()
    assert statuses(queued) == [Status.PENDING] and reasons(queued) == [Wait.DEVICE_BUSY]


def test_an_outcome_to_check_later_waits_as_such():
    task = make_task(make_device(), scheduled_at=timezone.now() + timedelta(seconds=30),
                     effect={"kind": "post", "caption": "x"})  # fmt: skip
    scheduling.tick()
    assert reasons(task) == [Wait.CHECKING]


def test_an_account_at_its_daily_limit_waits_and_others_run():
    phone = make_device()
    account = make_account(phone, daily_follow_limit=1)
    make_task(phone, account=account, status=Status.COMPLETED, started_at=timezone.now())
    capped = make_task(phone, account=account)
    scheduling.tick()
    capped.refresh_from_db()
    assert (capped.status, capped.wait_reason) == (Status.PENDING, Wait.ACCOUNT_DAILY_LIMIT)
    other = make_task(phone, account=make_account(phone))
    assert scheduling.claim_due_tasks() == [other.pk]


def test_a_stale_heartbeat_queues_the_run_again_and_frees_the_phone(settings):
    phone = make_device()
    waiting = make_task(phone)
    stale = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 1)
    dead = make_running(phone, heartbeat_at=stale, host="h1")
    result = scheduling.tick()
    dead.refresh_from_db()
    assert result.reaped == [dead.pk]
    assert dead.status == Status.PENDING and "stopped responding" in dead.remark
    assert result.claimed == [waiting.pk]


def test_the_reaper_leaves_no_queue_message_of_the_dead_run_behind(settings):
    from django_q.models import OrmQ

    task = make_task(make_device())
    scheduling.claim_due_tasks()
    assert OrmQ.objects.count() == 1  # as a killed worker leaves it: locked, to be redelivered
    stale = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 1)
    Task.objects.filter(pk=task.pk).update(heartbeat_at=stale, worker="h1:1")
    Device.objects.update(state=Device.State.OFFLINE)  # keep it from being claimed again
    scheduling.tick()
    assert statuses(task) == [Status.PENDING] and not OrmQ.objects.exists()


def test_a_fresh_heartbeat_is_left_alone():
    task = make_running(make_device())
    assert scheduling.reap_stale_tasks() == []
    assert statuses(task) == [Status.RUNNING]


def test_auto_retry_requeues_failed_tasks_after_a_delay(settings):
    settings.AUTO_RETRY_MAX = 2
    task = make_task(make_device(), status=Status.FAILED, ended_at=timezone.now(),
                     remark="phone disconnected")  # fmt: skip
    stopped = make_task(make_device(), status=Status.FAILED, ended_at=timezone.now(),
                        remark="stopped by oscar", stop_requested_at=timezone.now())  # fmt: skip
    assert scheduling.schedule_auto_retries() == [task.pk]
    task.refresh_from_db()
    assert (task.status, task.retry_count) == (Status.PENDING, 1)
    delay = (task.scheduled_at - timezone.now()).total_seconds()
    assert 4 <= delay <= 60
    assert statuses(stopped) == [Status.FAILED]


def test_auto_retry_stops_at_the_maximum(settings):
    settings.AUTO_RETRY_MAX = 1
    make_task(make_device(), status=Status.FAILED, ended_at=timezone.now(), retry_count=1)
    assert scheduling.schedule_auto_retries() == []


def test_state_transitions_only_leave_running_once():
    task = make_task(make_device(), status=Status.RUNNING)
    assert task.fail("phone disconnected")
    assert not task.finish("done")  # the late worker does not overwrite the failure
    task.refresh_from_db()
    assert (task.status, task.remark) == (Status.FAILED, "phone disconnected")


def test_a_phone_is_kept_for_the_check_of_an_uncertain_outcome():
    phone = make_device()
    now = timezone.now()
    older = make_task(phone, scheduled_at=now - timedelta(hours=1))
    check = make_task(phone, scheduled_at=now + timedelta(seconds=30),
                      effect={"kind": "post", "caption": "x"})  # fmt: skip
    # Nothing else may cold-start the app (and kill an upload in progress) before the check.
    assert scheduling.claim_due_tasks() == []
    scheduling.label_waiting_tasks()
    assert reasons(older, check) == [Wait.DEVICE_BUSY, Wait.CHECKING]
    Task.objects.filter(pk=check.pk).update(scheduled_at=now - timedelta(seconds=1))
    assert scheduling.claim_due_tasks() == [check.pk]
