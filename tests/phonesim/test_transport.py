"""The simulated phone: its shell, filesystem and protocol, checked through a real adb server
where it matters (the adb CLI and the device layer both talk to it)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess

import pytest

from devices.adb import AdbServer, DeviceError, DeviceTimeout
from phonesim import Farm, FileSystem, Phone
from phonesim.farm import ports_from
from phonesim.shell import Session
from tests.phones import connect_unauthorized, wait_state


def run(phone: Phone, line: str) -> tuple[int, str]:
    result = asyncio.run(Session(phone).run(line))
    return result.code, result.output.decode()


@pytest.fixture
def offline_phone() -> Phone:
    """A phone object that is never started: enough to exercise its shell directly."""
    return Phone(model="SM-G991B", seed=7)


def cli(server: AdbServer, *args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    env = dict(os.environ, **server.env, ANDROID_ADB_SERVER_PORT=str(server.port))
    return subprocess.run(
        [server.binary, "-P", str(server.port), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# -- shell, without any network -----------------------------------------------------------------


def test_shell_quoting_matches_posix_sh(offline_phone):
    assert run(offline_phone, r"echo 'it'\''s' \"q\" \$HOME a\ b")[1] == 'it\'s "q" $HOME a b\n'
    assert run(offline_phone, "echo \"$EXTERNAL_STORAGE/x\" '$NOPE'")[1] == "/sdcard/x $NOPE\n"


def test_chains_and_exit_codes(offline_phone):
    assert run(offline_phone, "false && echo no; echo X4EXIT:$?") == (0, "X4EXIT:1\n")
    assert run(offline_phone, "false || echo yes") == (0, "yes\n")
    assert run(offline_phone, "exit 3; echo never") == (3, "")


def test_unknown_command_is_reported_like_android(offline_phone):
    code, out = run(offline_phone, "frobnicate --now; echo X4EXIT:$?")
    assert out == "/system/bin/sh: frobnicate: not found\nX4EXIT:127\n"


def test_files_redirections_and_pipes(offline_phone):
    code, out = run(
        offline_phone,
        "mkdir -p /sdcard/a/b && echo one > /sdcard/a/b/f.txt && echo two >> /sdcard/a/b/f.txt;"
        " cat /sdcard/a/b/f.txt | grep tw; ls /storage/emulated/0/a/b; rm /nope 2>/dev/null;"
        " echo $?",
    )
    assert out == "two\nf.txt\n1\n"


def test_getprop_and_wm_report_the_model(offline_phone):
    assert run(offline_phone, "getprop ro.product.model")[1] == "SM-G991B\n"
    assert run(offline_phone, "getprop ro.product.brand")[1] == "samsung\n"
    assert "Physical size: 1080x2400" in run(offline_phone, "wm size")[1]
    assert "[ro.build.version.sdk]: [33]" in run(offline_phone, "getprop")[1]


def test_input_text_undoes_shell_quoting_and_percent_s(offline_phone):
    run(offline_phone, r"input text 'it'\''s%sa%s$test'")
    assert offline_phone.typed == ["it's a $test"]


def test_media_scan_feeds_content_query(offline_phone):
    offline_phone.fs.write("/sdcard/DCIM/clip.mp4", b"\0" * 10)
    run(
        offline_phone,
        "am broadcast -a android.intent.action.MEDIA_SCANNER_SCAN_FILE"
        " -d file:///sdcard/DCIM/clip.mp4",
    )
    out = run(offline_phone, "content query --uri content://media/external/video/media")[1]
    assert "_data=/storage/emulated/0/DCIM/clip.mp4" in out
    assert (
        "No result found."
        in run(offline_phone, "content query --uri content://media/external/images/media")[1]
    )


def test_filesystem_aliases_sdcard():
    fs = FileSystem.with_defaults()
    fs.write("/sdcard/Download/x", b"abc")
    assert fs.read("/storage/self/primary/Download/x") == b"abc"
    assert "x" in fs.listdir("/storage/emulated/0/Download")
    assert fs.stat("/missing") is None


def test_ports_skip_the_emulator_range():
    assert list(ports_from(5553, 4)) == [5553, 5554, 5586, 5587]
    with pytest.raises(ValueError):
        Phone(port=5555)


# -- over the real adb server -----------------------------------------------------------------


def test_listed_with_model_name(adb, shared_phone):
    listing = {d.serial: d for d in adb.devices()}[shared_phone.serial]
    assert (listing.state, listing.model, listing.device) == ("device", "Pixel_7", "panther")


def test_cli_shell_v2_carries_exit_status(adb_server, shared_phone):
    result = cli(adb_server, "-s", shared_phone.serial, "shell", "echo hi; exit 3")
    assert (result.returncode, result.stdout) == (3, "hi\n")


def test_cli_push_and_pull_are_byte_exact(adb_server, shared_phone, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)
    (tmp_path / "up.bin").write_bytes(data)
    pushed = cli(
        adb_server, "-s", shared_phone.serial, "push", str(tmp_path / "up.bin"), "/sdcard/Download/"
    )
    assert pushed.returncode == 0, pushed.stderr
    assert shared_phone.fs.read("/sdcard/Download/up.bin") == data
    pulled = cli(
        adb_server,
        "-s",
        shared_phone.serial,
        "pull",
        "/sdcard/Download/up.bin",
        str(tmp_path / "down.bin"),
    )
    assert pulled.returncode == 0, pulled.stderr
    assert (tmp_path / "down.bin").read_bytes() == data


def test_unknown_service_is_refused(adb_server, shared_phone):
    result = cli(adb_server, "-s", shared_phone.serial, "reverse", "--list")
    assert result.returncode != 0
    assert "closed" in result.stderr


def test_slow_command_times_out_and_phone_recovers(adb, make_phone):
    phone = make_phone()
    phone.slow_down(3, commands=["getprop"])
    device = adb.device(phone.serial)
    with pytest.raises(DeviceTimeout):
        device.shell("getprop ro.product.model", timeout=0.5)
    assert device.shell("echo still here") == "still here"


def test_unplug_shows_offline_and_replug_comes_back(adb, make_phone):
    phone = make_phone()
    phone.unplug()
    wait_state(adb, phone.serial, "offline")
    phone.replug()
    wait_state(adb, phone.serial, "device")  # the adb server retries within ~250 ms
    assert adb.device(phone.serial).shell("echo ok") == "ok"


def test_a_phone_can_be_unplugged_right_after_a_tap_that_still_takes_effect(adb, make_phone):
    phone = make_phone()
    phone.faults.unplug_after_tap = "tab_profile"
    device = adb.device(phone.serial)
    device.app_start("com.zhiliaoapp.musically")
    node = device.dump_ui().find(resource_id="com.zhiliaoapp.musically:id/tab_profile")
    with contextlib.suppress(DeviceError):  # the answer may be lost with the cable
        device.tap(*node.centre)
    wait_state(adb, phone.serial, "offline")
    assert phone.taps[-1].resource_id.endswith("tab_profile")
    assert phone.faults.unplug_after_tap == ""  # once
    phone.replug()
    wait_state(adb, phone.serial, "device")
    assert "account_switch" in device.ui_xml()  # the tap went through: the profile is open


def test_unauthorized_phone_is_listed_as_such(adb, make_phone):
    phone = make_phone(unauthorized=True, wait_state=None)
    connect_unauthorized(adb, phone.serial)
    wait_state(adb, phone.serial, "unauthorized")
    phone.set_unauthorized(False)
    wait_state(adb, phone.serial, "device")


def test_many_phones_in_one_process(adb):
    with Farm() as farm:
        phones = farm.start(20)
        for phone in phones:
            adb.connect(phone.serial)
        for phone in phones:
            adb.wait_for(phone.serial, timeout=10)
        models = {adb.device(p.serial).getprop("ro.product.model") for p in phones[::5]}
        assert models == {"Pixel 7"}
        for phone in phones:
            adb.disconnect(phone.serial)
