"""The device layer (devices.adb) against a real adb server and simulated phones."""

from __future__ import annotations

import io
import os
import string

import pytest
from PIL import Image

from devices.adb import (
    AdbServerDown,
    DeviceError,
    DeviceNotFound,
    DeviceOffline,
    DeviceUnauthorized,
    input_text_commands,
    parse_hierarchy,
)
from tests.phones import connect, connect_unauthorized, wait_state

TIKTOK = "com.zhiliaoapp.musically"


def test_device_info_reads_model_android_screen_and_battery(shared_link):
    info = shared_link.info()
    assert (info.model, info.brand, info.android_version, info.sdk) == (
        "Pixel 7",
        "google",
        "14",
        34,
    )
    assert info.screen == (1080, 2400) and info.screen_text == "1080x2400"
    assert 0 <= info.battery <= 100


def test_push_and_pull_multi_megabyte_file_byte_exact(shared_link, tmp_path):
    data = os.urandom(4 * 1024 * 1024 + 3)
    src = tmp_path / "video.mp4"
    src.write_bytes(data)
    assert shared_link.push(src, "/sdcard/DCIM/Camera/video.mp4") == len(data)
    assert shared_link.pull("/sdcard/DCIM/Camera/video.mp4", tmp_path / "back.mp4") == len(data)
    assert (tmp_path / "back.mp4").read_bytes() == data
    shared_link.push(b"tiny", "/data/local/tmp/new/dir/t.txt")  # parents are created
    assert shared_link.read_bytes("/data/local/tmp/new/dir/t.txt") == b"tiny"
    assert not shared_link.exists("/data/local/tmp/absent")


def test_screenshot_is_a_png_of_the_screen_size(shared_link):
    png = shared_link.screenshot_png()
    assert Image.open(io.BytesIO(png)).size == shared_link.window_size()


def test_hierarchy_dump_parses_into_nodes_with_bounds(shared_link):
    root = shared_link.dump_ui()
    nodes = list(root.iter())
    assert len(nodes) > 2
    clickable = [n for n in nodes if n.clickable and n.bounds[2] > n.bounds[0]]
    assert clickable, "the home screen offers something to tap"
    x1, y1, x2, y2 = clickable[0].bounds
    assert x1 <= clickable[0].centre[0] <= x2 and y1 <= clickable[0].centre[1] <= y2


def test_parse_hierarchy_finds_by_id_text_and_description():
    xml = (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
        '<node text="" resource-id="a:id/root" class="F" bounds="[0,0][100,200]">'
        '<node text="Follow" resource-id="a:id/follow" content-desc="Follow user" clickable="true"'
        ' class="android.widget.Button" package="a" bounds="[10,20][30,60]" /></node></hierarchy>'
    )
    root = parse_hierarchy(xml)
    button = root.find(resource_id="a:id/follow")
    assert button is root.find(text="Follow") is root.find(content_desc="Follow user")
    assert (button.bounds, button.centre, button.clickable) == ((10, 20, 30, 60), (20, 40), True)
    assert root.find(text="Nope") is None
    with pytest.raises(DeviceError):
        parse_hierarchy("not xml")


def test_tap_lands_on_the_element_found_in_the_dump(adb, make_phone):
    phone = make_phone()
    link = adb.device(phone.serial)
    target = next(n for n in link.dump_ui().iter() if n.clickable and n.resource_id + n.text)
    link.tap_node(target)
    hit = phone.taps[-1]
    assert (hit.x, hit.y) == target.centre
    assert (hit.resource_id, hit.text) == (target.resource_id, target.text)


def test_apps_start_stop_current_packages_and_versions(adb, make_phone):
    link = adb.device(make_phone().serial)
    assert TIKTOK in link.packages(third_party=True)
    assert "com.android.settings" not in link.packages(third_party=True)
    assert link.packages()[TIKTOK] == link.app_version(TIKTOK) != ""
    assert link.app_version("com.example.absent") is None
    link.app_start(TIKTOK)
    assert link.app_current()[0] == TIKTOK
    link.app_stop(TIKTOK)
    assert link.app_current()[0] != TIKTOK
    with pytest.raises(DeviceError, match="could not start"):
        link.app_start("com.example.absent")


SPECIALS = string.punctuation + " "  # every printable ASCII character that is not alphanumeric


@pytest.mark.parametrize(
    "text",
    [SPECIALS, 'it\'s a "quote" & $HOME `id` ; ls | cat > /x', "50%sale 100%s %%s %", "-n x"],
)
def test_input_text_round_trips_every_special_character(adb, make_phone, text):
    phone = make_phone()
    adb.device(phone.serial).text(text)
    assert "".join(phone.typed) == text


def test_input_text_rejects_non_ascii():
    with pytest.raises(ValueError):
        input_text_commands("héllo")
    assert input_text_commands("") == []


def test_swipe_keyevent_and_media_scan(adb, make_phone):
    phone = make_phone()
    link = adb.device(phone.serial)
    link.swipe(500, 1800, 500, 400, 200)
    link.keyevent("KEYCODE_HOME")
    link.push(b"jpeg", "/sdcard/DCIM/Camera/p.jpg")
    link.media_scan("/sdcard/DCIM/Camera/p.jpg")
    assert "/storage/emulated/0/DCIM/Camera/p.jpg" in phone.media.paths()
    assert link.shell_status("ls /sdcard/nope") == (
        1,
        "ls: /sdcard/nope: No such file or directory",
    )


def test_unknown_serial_raises_not_found(adb):
    with pytest.raises(DeviceNotFound, match="does not know"):
        adb.device("127.0.0.1:1").shell("echo hi")


def test_offline_and_unauthorized_phones_raise_clear_errors(adb, make_phone):
    gone = make_phone()
    gone.unplug()
    wait_state(adb, gone.serial, "offline")
    with pytest.raises(DeviceOffline, match="offline"):
        adb.device(gone.serial).shell("echo hi")
    locked = make_phone(unauthorized=True, wait_state=None)
    connect_unauthorized(adb, locked.serial)
    wait_state(adb, locked.serial, "unauthorized")
    with pytest.raises(DeviceUnauthorized, match="USB debugging"):
        adb.device(locked.serial).shell("echo hi")


def test_connect_to_a_closed_port_fails_clearly(adb):
    with pytest.raises(DeviceError, match="could not connect"):
        adb.connect("127.0.0.1:1")


def test_recovers_from_an_adb_server_restart(adb, adb_server, farm, shared_phone):
    adb_server.kill()
    with pytest.raises(AdbServerDown, match="the adb server at .* is not answering"):
        adb.devices()
    adb_server.start()
    for phone in farm.phones:  # a new server knows nothing: connect every phone again
        if phone.listening:
            connect(adb, phone, "unauthorized" if phone.unauthorized else "device")
    assert adb.device(shared_phone.serial).shell("echo back") == "back"
