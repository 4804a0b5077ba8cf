"""The dispatcher's rules: one task per phone, due order, licence and worker limits, daily
limits, and a reason on every waiting task."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Licence
from devices.models import Device
from tasks import scheduling
from tasks.models import Task
from tests.tasks.factories import make_account, make_device, make_task

pytestmark = pytest.mark.django_db
Status, Wait = Task.Status, Task.WaitReason


@pytest.fixture(autouse=True)
def plenty_of_workers(settings):
    settings.WORKERS = 50


def statuses(*tasks):
    return [Task.objects.get(pk=t.pk).status for t in tasks]


def test_a_due_task_on_a_free_phone_is_claimed():
    task = make_task(make_device())
    assert scheduling.claim_due_tasks() == [task.pk]
    task.refresh_from_db()
    assert (task.status, task.wait_reason, task.step) == (Status.RUNNING, None, "starting")
    assert task.started_at and task.heartbeat_at and task.host


def test_the_claimed_run_is_enqueued_only_after_commit(django_capture_on_commit_callbacks,
                                                       monkeypatch):  # fmt: skip
    enqueued = []
    monkeypatch.setattr(scheduling, "enqueue_runs", enqueued.extend)
    task = make_task(make_device())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scheduling.claim_due_tasks()
    assert enqueued == []
    callbacks[0]()
    assert enqueued == [task.pk]


def test_one_task_at_a_time_per_phone_oldest_due_first():
    phone = make_device()
    now = timezone.now()
    later = make_task(phone, scheduled_at=now - timedelta(minutes=1))
    first = make_task(phone, scheduled_at=now - timedelta(minutes=5))
    assert scheduling.claim_due_tasks() == [first.pk]
    assert scheduling.claim_due_tasks() == []  # the phone is busy now
    assert statuses(first, later) == [Status.RUNNING, Status.PENDING]


def test_the_database_refuses_a_second_running_task_on_a_phone():
    from django.db import IntegrityError

    phone = make_device()
    make_task(phone, status=Status.RUNNING)
    with pytest.raises(IntegrityError):
        make_task(phone, status=Status.RUNNING)


def test_tasks_on_other_hosts_or_offline_phones_are_not_claimed():
    make_task(make_device(host="other-host"))
    make_task(make_device(state=Device.State.OFFLINE))
    make_task(make_device(state=Device.State.UNAUTHORIZED))
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


def test_wait_reasons_for_offline_and_busy_phones():
    offline = make_task(make_device(state=Device.State.OFFLINE))
    phone = make_device()
    make_task(phone, status=Status.RUNNING, heartbeat_at=timezone.now())
    queued = make_task(phone)
    scheduling.tick()
    offline.refresh_from_db()
    queued.refresh_from_db()
    assert offline.wait_reason == Wait.DEVICE_OFFLINE
    assert queued.wait_reason == Wait.DEVICE_BUSY


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


def test_a_stale_heartbeat_fails_the_task_and_frees_the_phone(settings):
    phone = make_device()
    stale = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 1)
    dead = make_task(phone, status=Status.RUNNING, heartbeat_at=stale, host="h1")
    waiting = make_task(phone)
    result = scheduling.tick()
    dead.refresh_from_db()
    assert result.reaped == [dead.pk]
    assert dead.status == Status.FAILED and "stopped responding" in dead.remark
    assert result.claimed == [waiting.pk]


def test_a_fresh_heartbeat_is_left_alone():
    task = make_task(make_device(), status=Status.RUNNING, heartbeat_at=timezone.now())
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
