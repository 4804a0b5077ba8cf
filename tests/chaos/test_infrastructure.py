"""The adb server restarting or freezing is not the tasks' fault: they wait and run afterwards,
and the watcher notices a server that stopped answering (issue 12, defect 6)."""

from __future__ import annotations

import threading

import pytest

from devices.adb import Adb, AdbServerDown
from devices.models import Device
from devices.watcher import DeviceWatcher
from tasks.models import Task
from tests.chaos.conftest import story
from tests.devices.test_watcher import eventually, state_is
from tests.phones import connect
from tests.tasks.engine import register
from tests.tasks.factories import make_task
from tests.tasks.inprocess import serve_in_process

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]
Status = Task.Status


@pytest.fixture
def own_host(own_adb_server, settings, monkeypatch):
    """This farm host in process, on an adb server the test may kill or freeze."""
    yield from serve_in_process(own_adb_server, settings, monkeypatch)


@pytest.fixture
def phone(farm, own_adb_server):
    phone = farm.add(model="Pixel 7")
    connect(Adb(own_adb_server.host, own_adb_server.port, timeout=10), phone)
    yield phone
    farm.remove(phone)


def left_running(task: Task) -> bool:
    """The run is over and said how (failed for good, or queued again)."""
    task.refresh_from_db()
    return task.status != Status.RUNNING and task.events.exclude(step="started").exists()


def test_tasks_started_during_an_adb_server_restart_wait_and_then_run(
    own_host, own_adb_server, phone
):
    device = register(phone)
    own_adb_server.kill()  # restarting: the phone still shows online for a moment
    task = make_task(device, script_name="diagnostic", script_config={})
    own_host.run([task], done=left_running)

    assert task.status == Status.PENDING, story(task)  # not failed: the server's fault
    assert task.wait_reason == "adb_server_down" and task.retry_count == 0
    own_adb_server.start()
    connect(Adb(own_adb_server.host, own_adb_server.port, timeout=10), phone)
    Device.objects.filter(pk=device.pk).update(state=Device.State.ONLINE)  # the watcher's doing
    own_host.run([task])
    assert task.status == Status.COMPLETED, story(task)


def test_a_frozen_adb_server_is_noticed_and_its_phones_are_unknown_until_it_answers(
    own_adb_server, phone
):
    adb = Adb(own_adb_server.host, own_adb_server.port, timeout=10)
    watcher = DeviceWatcher(adb, server=own_adb_server, host="chaos-host", start_server=False,
                            tick=0.1)  # fmt: skip
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        eventually(state_is(phone.serial, "online"), what="online")
        own_adb_server.freeze()  # SIGSTOP: connections open, nothing ever answers
        eventually(state_is(phone.serial, "unknown"), timeout=20, what="unknown while frozen")
        own_adb_server.thaw()
        eventually(state_is(phone.serial, "online"), timeout=20, what="online once it answers")
    finally:
        own_adb_server.thaw()
        watcher.stop()
        thread.join(10)


def test_a_frozen_adb_server_is_blamed_not_the_phone(own_adb_server, phone):
    link = Adb(own_adb_server.host, own_adb_server.port, timeout=1).device(phone.serial)
    own_adb_server.freeze()
    try:
        with pytest.raises(Exception) as caught:
            link.shell("getprop ro.product.model")
    finally:
        own_adb_server.thaw()
    assert type(caught.value).__name__ == "AdbServerDown"
    assert "adb server" in str(caught.value) and "not answering" in str(caught.value)


def test_a_frozen_adb_server_is_blamed_for_a_silent_automation_server_too(own_adb_server, phone):
    """Screen calls go through the phone's uiautomator2 server, over an adb tunnel: when that
    tunnel goes silent because the adb server froze, the task waits instead of failing."""
    link = Adb(own_adb_server.host, own_adb_server.port, timeout=1).device(phone.serial)
    link.dump_ui()  # the automation server runs
    own_adb_server.freeze()
    try:
        with pytest.raises(AdbServerDown, match="reading the screen failed: the adb server"):
            link.dump_ui()
        # The connection was dropped with the first: the tap reconnects, and is blamed the same.
        with pytest.raises(AdbServerDown, match="the adb server at .* is not answering"):
            link.tap(5, 5)
    finally:
        own_adb_server.thaw()
    assert link.dump_ui() is not None  # and the phone is fine once the server answers
