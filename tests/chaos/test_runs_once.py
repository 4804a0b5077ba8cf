"""A task runs once at a time: a stale queue message, a dispatcher killed between claim and
enqueue, or a stop cannot make two scripts drive one phone (issue 12, defects 1, 5 and 7)."""

from __future__ import annotations

import threading
import time

import pytest
from django.utils import timezone

from devices.adb import PhoneLink
from tasks import scheduling
from tasks.actions import retry_task, stop_task
from tasks.models import Task
from tests.chaos.conftest import story
from tests.tasks.engine import FarmHost, register, wait_until
from tests.tasks.factories import make_device, make_task

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]
Status = Task.Status


def diagnostic(device, **fields) -> Task:
    return make_task(device, script_name="diagnostic", script_config={}, **fields)


def started_since(task: Task, since) -> int:
    return task.events.filter(step="started", at__gte=since).count()


@pytest.fixture
def cluster(adb_server, tmp_path):
    farm_host = FarmHost(adb_server, tmp_path, workers=3)
    yield farm_host
    farm_host.stop()


def test_a_queue_message_left_by_a_killed_worker_never_runs_the_task_a_second_time(
    cluster, make_phone
):
    from django_q.models import OrmQ

    phone = make_phone()
    phone.slow_down(6)  # each phone command takes 6 s: runs are long enough to overlap
    task = diagnostic(register(phone))
    cluster.start()
    wait_until(lambda: task.events.filter(step="asking the phone").exists(), timeout=30)
    cluster.kill("workers")  # SIGKILL: its queue message stays, locked for django-q2's `retry`
    # The killed run is settled (failed, or queued again) once its heartbeat is stale.
    wait_until(lambda: task.events.filter(step__in=["failed", "queued again"]).exists(), 30)
    task.refresh_from_db()
    if task.status == Status.FAILED:  # what an operator (or the automatic retry) would do
        retry_task(task, actor="tester")
    # `retry` seconds later django-q2 delivers the killed run's message again: travel there.
    OrmQ.objects.update(lock=timezone.now() - timezone.timedelta(seconds=1))
    restarted = timezone.now()
    cluster.start("workers")
    done = wait_until(
        lambda: (t := Task.objects.get(pk=task.pk)).status in Task.TERMINAL and t, timeout=60
    )
    time.sleep(2)  # a second run, if any, has written its first line by now

    assert done.status == Status.COMPLETED, (story(done), cluster.logs())
    assert started_since(done, restarted) == 1, story(done)


def test_a_dispatcher_killed_between_claim_and_enqueue_loses_no_task(monkeypatch, settings):
    task = diagnostic(make_device())

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the dispatcher dies right there (SIGINT, SIGKILL, power)

    monkeypatch.setattr("django_q.tasks.async_task", killed)
    with pytest.raises(KeyboardInterrupt):
        scheduling.claim_due_tasks()
    monkeypatch.undo()
    # The dispatcher comes back, later than any heartbeat would have gone stale.
    stale = timezone.now() - timezone.timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 1)
    Task.objects.filter(status=Status.RUNNING).update(heartbeat_at=stale, started_at=stale)
    scheduling.tick()

    task.refresh_from_db()
    assert task.status != Status.FAILED, task.remark
    assert "stopped responding" not in task.remark
    assert task.status == Status.RUNNING  # claimed again, its run on the queue this time


def test_a_stopped_task_keeps_its_phone_until_its_script_has_let_go(host, make_phone, monkeypatch):
    calls: list[tuple[str, float, float]] = []  # (worker thread, start, end) of phone commands
    shell = PhoneLink.shell

    def timed_shell(link, *args, **kwargs):
        started = time.monotonic()
        try:
            return shell(link, *args, **kwargs)
        finally:
            calls.append((threading.current_thread().name, started, time.monotonic()))

    monkeypatch.setattr(PhoneLink, "shell", timed_shell)
    phone = make_phone()
    phone.slow_down(2)
    device = register(phone)
    first = diagnostic(device)
    second = diagnostic(device, scheduled_at=first.scheduled_at + timezone.timedelta(seconds=1))

    def stop_mid_command():
        wait_until(lambda: Task.objects.filter(pk=first.pk, step="asking the phone").exists())
        time.sleep(0.3)  # the script is inside its 2 s phone command now
        stop_task(Task.objects.get(pk=first.pk), actor="tester")

    stopper = threading.Thread(target=stop_mid_command)
    stopper.start()
    host.run([first, second], timeout=60)
    stopper.join()

    last_of_first = max(end for name, _, end in calls if name == f"worker-{first.pk}")
    first_of_second = min(start for name, start, _ in calls if name == f"worker-{second.pk}")
    assert first_of_second >= last_of_first, "two scripts drove the phone at the same time"
    assert second.status == Status.COMPLETED
