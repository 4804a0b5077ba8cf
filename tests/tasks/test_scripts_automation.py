"""Scripts drive the screen through the phone's uiautomator2 server (devices.adb): what a task
does when that server, its tunnel or the phone misbehaves.

Every case runs the real worker entry point in process (``tests/tasks/inprocess.py``) on a
strict simulated phone. Each failure must end the task with words an operator understands, keep
its evidence (a screenshot, and the hierarchy when the server can still give one) and free the
phone; a server that cannot start is also shown on the phone's page.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from devices import adb
from devices.models import Device
from tasks.creation import CreateRequest, create_tasks
from tasks.models import Task
from tests.tasks.engine import register, wait_until
from tests.tasks.inprocess import serve_in_process

pytestmark = pytest.mark.django_db(transaction=True)
Status = Task.Status
PNG = b"\x89PNG\r\n\x1a\n"
VIDEO = "https://www.tiktok.com/@maria.lima/video/7300000000000000001"


@pytest.fixture
def host(adb_server, settings, monkeypatch):
    yield from serve_in_process(adb_server, settings, monkeypatch)


def create(script: str, config: dict, phone) -> Task:
    [task_id] = create_tasks(CreateRequest(script, config, serials=[phone.serial])).task_ids
    return Task.objects.get(pk=task_id)


def failed(task: Task) -> Task:
    steps = list(task.events.values_list("step", "message"))
    assert task.status == Status.FAILED, (task.remark, steps)
    assert not Task.objects.running().exists()  # the phone is free for its next task
    return task


def messages(task: Task) -> list[str]:
    return list(task.events.values_list("message", flat=True))


def following_ana(host, phone) -> Task:
    """A follow task held on the profile screen (its follow button is missing, so the script
    keeps reading the screen for a while): the moment to break something mid-task."""
    phone.ui.faults.missing_element = "follow_btn"
    task = create("follow", {"target_user": "ana"}, phone)
    host.run([task], done=lambda t: t.step.startswith("opening @"), timeout=30)
    return task


def test_a_server_killed_mid_task_is_restarted_once_and_the_task_goes_on(host, make_phone):
    phone = make_phone()
    register(phone)
    task = following_ana(host, phone)
    started = phone.u2.launches
    phone.kill_u2_server()
    wait_until(lambda: phone.u2.launches == started + 1, timeout=15)
    phone.ui.faults.missing_element = set()
    [task] = host.run([task])
    assert task.status == Status.COMPLETED, task.remark
    assert [f.target for f in phone.ui.outcomes.follows] == ["ana"]
    assert phone.u2.launches == started + 1


def test_a_server_that_cannot_come_back_fails_the_task_with_the_reason(host, make_phone):
    phone = make_phone()
    device = register(phone)
    task = following_ana(host, phone)
    phone.faults.u2_launch_error = "java.lang.RuntimeException: Unable to connect UiAutomation"
    phone.kill_u2_server()
    [task] = host.run([task])
    failed(task)
    assert "stopped while reading the screen and could not be restarted" in task.remark
    assert "Unable to connect UiAutomation" in task.remark
    # Evidence: the server is down, so adb's screencap gives the screenshot; no hierarchy.
    assert task.failure_screenshot.read()[:8] == PNG
    assert task.failure_hierarchy == ""
    assert any(m.startswith("no UI hierarchy") for m in messages(task))
    device.refresh_from_db()
    assert device.automation == Device.Automation.FAILED
    assert "Unable to connect UiAutomation" in device.automation_error


def test_a_phone_without_app_process_fails_and_its_page_says_why(
    host, make_phone, owner, client_as
):
    phone = make_phone()
    phone.faults.missing_commands = frozenset({"app_process"})
    device = register(phone)
    [task] = host.run([create("follow", {"target_user": "ana"}, phone)])
    failed(task)
    reason = "cannot start on this phone: /system/bin/sh: app_process: not found"
    assert reason in task.remark
    assert task.failure_screenshot.read()[:8] == PNG
    device.refresh_from_db()
    assert (device.automation, device.automation_checked_at is not None) == ("failed", True)
    page = client_as(owner).get(reverse("device-detail", args=[phone.serial]))
    assert reason in page.content.decode()


def test_a_server_whose_tunnel_stays_refused_fails_after_the_start_timeout(
    host, make_phone, monkeypatch
):
    monkeypatch.setattr(adb, "SERVER_START_TIMEOUT", 1.0)
    phone = make_phone()
    phone.faults.u2_start_delay = 30  # launched, but its port never opens in time
    register(phone)
    [task] = host.run([create("follow", {"target_user": "ana"}, phone)])
    failed(task)
    assert "the automation server (uiautomator2) cannot start" in task.remark
    assert "did not answer within 1 s of starting" in task.remark


def test_a_json_rpc_error_fails_the_task_and_keeps_the_screenshot(host, make_phone):
    phone = make_phone()
    phone.faults.u2_rpc_errors = {"dumpWindowHierarchy": "java.lang.NullPointerException"}
    register(phone)
    [task] = host.run([create("follow", {"target_user": "ana"}, phone)])
    failed(task)
    assert "reading the screen failed" in task.remark
    assert "java.lang.NullPointerException" in task.remark
    assert task.failure_screenshot.read()[:8] == PNG  # through the server, which still answers
    assert any(m.startswith("no UI hierarchy") for m in messages(task))


def test_text_longer_than_the_field_allows_fails_instead_of_posting_it_cut(host, make_phone):
    phone = make_phone()
    phone.ui.faults.max_length = {"comment_edit": 10}
    register(phone)
    config = {"target_post_urls": [VIDEO], "comment_content": "Que legal! 🔥"}
    [task] = host.run([create("comment", config, phone)])
    failed(task)
    assert "the comment field kept only 10 of the 12 characters typed" in task.remark
    assert "limits its length" in task.remark
    assert phone.ui.outcomes.comments == []
    assert task.failure_screenshot.read()[:8] == PNG and "<hierarchy" in task.failure_hierarchy


def test_a_phone_unplugged_while_typing_fails_the_task_and_frees_it(host, make_phone):
    phone = make_phone()
    register(phone)
    phone.slow_down(3, ["ime"])  # typing starts by asking whether the keyboard app is there
    config = {"target_post_urls": [VIDEO], "comment_content": "Que legal! 🔥"}
    task = create("comment", config, phone)
    host.run([task], done=lambda t: t.step == "commenting", timeout=30)
    wait_until(lambda: any(c.startswith("ime list") for c in phone.commands), timeout=15)
    phone.unplug()
    [task] = host.run([task])
    failed(task)
    assert task.remark.startswith(f"phone problem: {phone.serial}: ")
    assert "offline" in task.remark or "does not know this phone" in task.remark
    assert any(m.startswith("no screenshot") for m in messages(task))
    assert phone.ui.outcomes.comments == []
    assert not [key for key in adb._clients if key[2] == phone.serial]
