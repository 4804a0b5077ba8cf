"""The device layer (devices.adb) against a real adb server and simulated phones."""

from __future__ import annotations

import io
import os
import string

import pytest
from PIL import Image

from devices import adb as device_layer
from devices.adb import (
    KEYBOARD_PACKAGE,
    AdbServerDown,
    AutomationUnavailable,
    DeviceError,
    DeviceNotFound,
    DeviceOffline,
    DeviceUnauthorized,
    as_dumped,
    parse_hierarchy,
)
from tests.phones import connect, connect_unauthorized, wait_state

TIKTOK = "com.zhiliaoapp.musically"
SEARCH = f"{TIKTOK}:id/search_edit"


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


def test_screenshots_by_adb_and_by_the_server_are_pngs_of_the_screen_size(shared_link):
    for png in (shared_link.screenshot_png(), shared_link.screenshot()):
        assert Image.open(io.BytesIO(png)).size == shared_link.window_size()


def test_hierarchy_dump_parses_into_nodes_with_bounds(shared_link):
    root = shared_link.dump_ui()
    nodes = list(root.iter())
    assert len(nodes) > 2
    clickable = [n for n in nodes if n.clickable and n.bounds[2] > n.bounds[0]]
    assert clickable, "the home screen offers something to tap"
    x1, y1, x2, y2 = clickable[0].bounds
    assert x1 <= clickable[0].centre[0] <= x2 and y1 <= clickable[0].centre[1] <= y2


def test_the_screen_is_read_on_a_playing_feed_where_plain_uiautomator_dump_fails(adb, make_phone):
    phone = make_phone(strict=True)
    phone.idle_timeout = 0.2
    link = adb.device(phone.serial)
    link.app_start(TIKTOK)  # the For You feed: a video plays, the screen never goes idle
    assert "could not get idle state" in link.shell("uiautomator dump /sdcard/ui.xml")
    root = link.dump_ui()
    assert root.find(content_desc="Create") is not None
    assert {n.package for n in root.iter()} >= {TIKTOK, "com.android.systemui"}


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
    link.tap(*target.centre)
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
TEXTS = [SPECIALS, "Promoção de verão 🔥\nlinha 2", 'it\'s a "quote" & $HOME `id` ; ls %s']


def open_search(adb, phone):
    """TikTok's search screen, whose field has the input focus."""
    link = adb.device(phone.serial)
    link.app_start(TIKTOK)
    link.tap(*link.dump_ui().find(content_desc="Search").centre)
    assert link.dump_ui().find(resource_id=SEARCH).focused
    return link


def field_text(phone) -> str:
    return phone.ui._foreground().top.fields.get("search_edit", "")


def test_the_keyboard_app_installs_from_the_wheel_and_types_any_text_exactly(adb, make_phone):
    phone = make_phone()
    link = open_search(adb, phone)
    assert not link.keyboard_installed()
    link.install_keyboard()
    assert link.keyboard_installed() and KEYBOARD_PACKAGE in phone.ui.installed_packages
    for text in TEXTS:
        link.type_text(text, keyboard=True)  # replaces what the field held
        assert field_text(phone) == text
        assert link.focused_text() == text


def test_clipboard_paste_types_any_text_exactly_without_installing_anything(adb, make_phone):
    phone = make_phone()
    link = open_search(adb, phone)
    for text in TEXTS:
        link.type_text(text, keyboard=False)
        assert field_text(phone) == link.focused_text() == text
    assert KEYBOARD_PACKAGE not in phone.ui.installed_packages


def test_a_dump_shows_emoji_as_dots_and_as_dumped_says_so(adb, make_phone):
    phone = make_phone()
    link = open_search(adb, phone)
    link.type_text("Que legal! 🔥", keyboard=False)
    shown = link.dump_ui().find(resource_id=SEARCH).text
    assert shown == as_dumped("Que legal! 🔥") == "Que legal! .."


def test_swipe_keys_and_media_indexed_the_android_10_way(adb, make_phone):
    phone = make_phone()
    link = adb.device(phone.serial)
    link.swipe(500, 1800, 500, 400, 200)
    link.press_key("KEYCODE_HOME")
    paths = [f"/storage/emulated/0/DCIM/Camera/p{n}.jpg" for n in range(2)]
    for path in paths:
        link.push(b"jpeg" + path.encode(), path)
    uris = link.index_media(paths)
    assert [phone.media.path_of(uri) for uri in uris] == paths
    assert all(uri.startswith("content://media/external/images/media/") for uri in uris)
    # The first path is the newest: the galleries list it first.
    assert [m.path.rsplit("/", 1)[1] for m in phone.ui.gallery_items()] == ["p0.jpg", "p1.jpg"]
    link.remove_media(paths)
    assert not set(paths) & set(phone.media.paths())
    assert phone.ui.gallery_items() == []
    assert link.shell_status("ls /sdcard/nope") == (
        1,
        "ls: /sdcard/nope: No such file or directory",
    )


def test_a_server_that_cannot_start_fails_fast_then_a_new_link_tries_again(adb, make_phone):
    phone = make_phone()
    phone.faults.missing_commands = frozenset({"app_process"})
    link = adb.device(phone.serial)
    with pytest.raises(AutomationUnavailable, match="app_process: not found"):
        link.dump_ui()
    launches = len([c for c in phone.commands if "app_process" in c])
    with pytest.raises(AutomationUnavailable):
        link.tap(1, 1)  # the same link does not wait for another start
    assert len([c for c in phone.commands if "app_process" in c]) == launches
    assert link.screenshot_png()[:8] == b"\x89PNG\r\n\x1a\n"  # adb alone still works
    phone.faults.missing_commands = frozenset()
    assert adb.device(phone.serial).dump_ui().find(content_desc="Home") is not None


def test_a_killed_server_is_restarted_on_the_next_call(adb, make_phone):
    phone = make_phone()
    link = adb.device(phone.serial)
    link.dump_ui()
    phone.kill_u2_server()
    assert link.dump_ui() is not None
    assert phone.u2.launches == 2


def test_one_server_connection_per_phone_is_kept_and_dropped_when_the_phone_goes(adb, make_phone):
    phone = make_phone()
    adb.device(phone.serial).dump_ui()
    adb.device(phone.serial).dump_ui()
    assert phone.u2.launches == 1
    assert [k for k in device_layer._clients if k[2] == phone.serial]
    phone.unplug()
    wait_state(adb, phone.serial, "offline")
    with pytest.raises(DeviceOffline):
        adb.device(phone.serial).shell("echo hi")
    assert not [k for k in device_layer._clients if k[2] == phone.serial]


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
