"""Reasons say what happened, and a library file that disappeared is set aside instead of
failing every post after it (issue 12, defects 8 and 9)."""

from __future__ import annotations

import re
import socket
import threading

import pytest

from devices.adb import Adb
from devices.models import Device
from tasks import scheduling
from tasks.models import Material, Task
from tests.chaos.conftest import create, library_video, story
from tests.tasks.engine import register
from tests.tasks.factories import make_device, make_task

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]
Status = Task.Status
POST = {"post_way": "addButton"}


def test_a_library_video_whose_file_was_deleted_is_set_aside_not_picked_by_every_post(
    host, make_phone, settings
):
    phone = make_phone()
    register(phone)
    root = settings.MATERIAL_UPLOAD_ROOT
    gone = library_video(root, "gone.mp4", 1)
    kept = [library_video(root, "b.mp4", 2), library_video(root, "c.mp4", 3)]
    (root / "gone.mp4").unlink()  # deleted from the PC after it was uploaded
    tasks = [create("post", {**POST, "captions": f"post {n}"}, serials=[phone.serial])[0]
             for n in (1, 2)]  # fmt: skip

    host.run(tasks, timeout=90)

    assert [t.status for t in tasks] == [Status.COMPLETED] * 2, [story(t) for t in tasks]
    assert [p.media[0] for p in phone.ui.outcomes.posts] == [m.sha256 for m in kept]
    gone.refresh_from_db()
    assert gone.used_at is None and "missing" in gone.set_aside_reason


def test_a_file_missing_on_the_pc_is_not_called_a_phone_problem(host, make_phone, settings):
    phone = make_phone()
    register(phone)
    clip = settings.MATERIAL_UPLOAD_ROOT / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42 clip")
    [task] = create("post", {**POST, "material_list": [str(clip)]}, serials=[phone.serial])
    clip.unlink()  # moved away after the task was created

    host.run([task])

    assert task.status == Status.FAILED
    assert "phone problem" not in task.remark
    assert f"the file {clip} is missing from this PC" in task.remark


def test_a_wait_for_the_screen_says_how_long_it_really_looked(host, make_phone):
    phone = make_phone()
    register(phone)
    phone.ui.faults.missing_element = "follow_btn"  # the profile never shows it
    [task] = create("follow", {"target_user": "ana"}, serials=[phone.serial])

    host.run([task])

    seconds = re.search(r"(?:within|looked for) (\d+)s", task.remark)
    assert seconds, task.remark
    assert int(seconds.group(1)) >= 10  # it looked for 12 s before giving up, not 1 s


def test_a_slow_phone_is_blamed_not_the_adb_server(adb_server, make_phone):
    phone = make_phone()
    phone.slow_down(3)
    link = Adb(adb_server.host, adb_server.port, timeout=1).device(phone.serial)
    with pytest.raises(Exception) as caught:
        link.shell("getprop ro.product.model")
    message = str(caught.value)
    assert "the phone did not answer" in message
    assert adb_server.where not in message  # the server answered; it is not to blame


def test_an_adb_server_closing_the_connection_is_said_in_words(tmp_path):
    """A server that accepts a request, says OKAY, then closes (crashing, restarting)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(1024)
            conn.sendall(b"OKAY")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        with pytest.raises(Exception) as caught:
            Adb("127.0.0.1", port, timeout=2).device("127.0.0.1:40404").shell("echo hi")
    finally:
        listener.close()
    message = str(caught.value)
    assert "Unknown data" not in message and "b''" not in message
    assert "adb server" in message


def test_an_unauthorized_phones_tasks_wait_for_its_owner_not_for_it_to_come_online():
    task = make_task(make_device(state=Device.State.UNAUTHORIZED))
    scheduling.tick()
    task.refresh_from_db()
    assert task.wait_reason == "device_unauthorized"
    assert Material.objects.count() == 0
