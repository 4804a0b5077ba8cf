"""The engine end to end: a real django-q2 cluster and dispatcher run tasks on simulated phones
through the real adb server, and every way a run can end leaves the phone free."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tasks.models import Task
from tests.tasks.engine import FarmHost, register, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
Status = Task.Status


@pytest.fixture
def host(adb_server, tmp_path):
    farm_host = FarmHost(adb_server, tmp_path)
    yield farm_host
    farm_host.stop()


@pytest.fixture
def phone(make_phone):
    return make_phone(model="Pixel 7")


def diagnostic(device, **fields) -> Task:
    return Task.objects.create(device=device, serial=device.serial, script_name="diagnostic",
                               **fields)  # fmt: skip


def finished(task: Task) -> Task | None:
    task.refresh_from_db()
    return task if task.status in Task.TERMINAL else None


def test_a_due_task_runs_on_its_phone_and_reports_back(host, phone):
    device = register(phone)
    task = diagnostic(device)
    host.start()
    done = wait_until(lambda: finished(task), timeout=30)
    assert done.status == Status.COMPLETED, (done.remark, host.logs())
    assert done.remark == "phone answered: Pixel 7"
    assert done.progress == 100 and done.started_at and done.ended_at
    steps = list(done.events.values_list("step", flat=True))
    assert steps[0] == "started" and steps[-1] == "completed"


def test_a_future_task_waits_as_scheduled_then_runs(host, phone):
    device = register(phone)
    task = diagnostic(device, scheduled_at=timezone.now() + timezone.timedelta(seconds=3))
    host.start()
    wait_until(lambda: Task.objects.filter(pk=task.pk, wait_reason="scheduled").exists())
    done = wait_until(lambda: finished(task), timeout=30)
    assert done.status == Status.COMPLETED
    assert done.started_at >= task.scheduled_at


def test_a_phone_unplugged_mid_task_fails_it_with_a_reason(host, phone):
    device = register(phone)
    phone.slow_down(20)
    task = diagnostic(device)
    host.start()
    wait_until(lambda: Task.objects.filter(pk=task.pk, status=Status.RUNNING).exists())
    phone.unplug()
    done = wait_until(lambda: finished(task), timeout=40)
    assert done.status == Status.FAILED
    assert "phone problem" in done.remark
    assert not Task.objects.running().filter(device=device).exists()


def test_a_killed_worker_never_leaves_a_task_running_nor_loses_it(host, phone, adb):
    device = register(phone)
    phone.slow_down(60)
    task = diagnostic(device)
    host.start()
    wait_until(lambda: Task.objects.filter(pk=task.pk).exclude(worker="").exists())
    host.kill("workers")
    # Its run is presumed dead once its heartbeat is stale: the phone is freed and the task
    # queued again (not failed: a killed worker is not the task's fault).
    wait_until(lambda: task.events.filter(message__startswith="interrupted: the worker").exists())
    phone.slow_down(0)
    host.start("workers")
    done = wait_until(lambda: finished(task), timeout=40)
    assert done.status == Status.COMPLETED and done.retry_count == 0, host.logs()
    assert done.lost_runs == 1


def test_a_licence_limit_of_two_runs_at_most_two_phones_at_once(host, make_phone, monkeypatch,
                                                                settings):  # fmt: skip
    from core import licensing

    pem, public = licensing.generate_keypair()
    settings.LICENCE_PUBLIC_KEYS = [public]
    licensing.install_key(licensing.issue_key(pem, plan="starter", devices=2, days=5))
    host.env["LICENCE_PUBLIC_KEYS"] = public
    host.env["WORKERS"] = "5"
    phones = [make_phone() for _ in range(5)]
    tasks = []
    for p in phones:
        p.slow_down(1.0)
        tasks.append(diagnostic(register(p)))
    host.start()
    peak = 0

    def all_done():
        nonlocal peak
        peak = max(peak, Task.objects.running().count())
        return not Task.objects.filter(status__in=Task.ACTIVE).exists()

    wait_until(all_done, timeout=60, every=0.05)
    assert peak == 2
    assert set(Task.objects.values_list("status", flat=True)) == {Status.COMPLETED}


def test_a_task_that_outlives_its_scripts_time_limit_fails_and_frees_the_phone(
    adb_server, tmp_path, phone
):
    host = FarmHost(adb_server, tmp_path, TASK_TIMEOUTS="diagnostic=5").start()
    try:
        device = register(phone)
        phone.slow_down(60)
        task = diagnostic(device)
        done = wait_until(lambda: finished(task), timeout=40)
        assert done.status == Status.FAILED, host.logs()
        assert "at most 5s" in done.remark
        phone.slow_down(0)
        follow_up = diagnostic(device)
        assert wait_until(lambda: finished(follow_up), timeout=30).status == Status.COMPLETED
    finally:
        host.stop()
