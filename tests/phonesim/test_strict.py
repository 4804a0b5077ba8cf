"""Honesty rule 9: the simulated phone is as strict as a real Android, and Phone(strict=False)
keeps the older, lenient behaviour. Shell-level, no network: a phone object that is never
started runs command lines directly."""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path

import pytest
import uiautomator2

from phonesim import Phone
from phonesim.phone import strict_default
from phonesim.shell import Session
from tests.phonesim.ui.helpers import tap, text_of

TIKTOK = "com.zhiliaoapp.musically"
ASSETS = Path(uiautomator2.__file__).parent / "assets"
EDITOR = "com.ss.android.ugc.aweme.shortvideo.edit.VEVideoPublishEditActivity"
U2_IME = "com.github.uiautomator/.AdbKeyboard"


def run(phone: Phone, line: str) -> tuple[int, str]:
    result = asyncio.run(Session(phone).run(line))
    return result.code, result.output.decode()


@pytest.fixture
def phone() -> Phone:
    phone = Phone(seed=3, strict=True)
    phone.idle_timeout = 0.05
    return phone


@pytest.fixture
def lenient() -> Phone:
    phone = Phone(seed=3, strict=False)
    phone.idle_timeout = 0.05
    return phone


def search_field(phone: Phone) -> None:
    """TikTok's search screen: it opens with its text field focused."""
    phone.ui.start_app(TIKTOK)
    tap(phone.ui, "search_icon")


def push_video(phone: Phone, path: str = "/sdcard/DCIM/a.mp4") -> str:
    phone.fs.write(path, b"\0video", parents=True)
    run(phone, f"am broadcast -a android.intent.action.MEDIA_SCANNER_SCAN_FILE -d file://{path}")
    return path


def test_strict_is_the_default_unless_the_environment_says_otherwise(monkeypatch):
    monkeypatch.delenv("PHONESIM_STRICT", raising=False)
    assert strict_default() is True and Phone().strict is True
    monkeypatch.setenv("PHONESIM_STRICT", "0")
    assert strict_default() is False
    monkeypatch.setenv("PHONESIM_STRICT", "maybe")
    with pytest.raises(ValueError):
        strict_default()


# -- am --------------------------------------------------------------------------------------


def test_am_rejects_eua_like_android(phone):
    a, b = push_video(phone), push_video(phone, "/sdcard/DCIM/b.mp4")
    code, out = run(
        phone,
        "am start -a android.intent.action.SEND_MULTIPLE -t 'video/*' "
        f"--eua android.intent.extra.STREAM 'file://{a},file://{b}' -p {TIKTOK}",
    )
    assert code == 255
    assert out.startswith(
        "\nException occurred while executing 'start':\n"
        "java.lang.IllegalArgumentException: Unknown option: --eua\n\tat "
    )
    assert phone.ui.current_focus()[0] != TIKTOK
    assert run(phone, "am broadcast -a X --frob 1")[1].count("Unknown option: --frob") == 1


def test_send_multiple_from_am_carries_no_media(phone):
    a = push_video(phone)
    code, _ = run(
        phone,
        "am start -a android.intent.action.SEND_MULTIPLE -t 'video/*' "
        f"--esal android.intent.extra.STREAM file://{a} -p {TIKTOK}",
    )
    assert code == 0
    assert phone.ui.current_focus() == (TIKTOK, "com.ss.android.ugc.aweme.main.MainActivity")


def test_send_with_one_uri_shares_it(phone):
    a = push_video(phone)
    run(phone, f"am start -a android.intent.action.SEND -t video/mp4 --eu {_stream(a)} -p {TIKTOK}")
    assert phone.ui.current_focus() == (TIKTOK, EDITOR)


def test_lenient_phone_keeps_the_old_uri_list(lenient):
    a, b = push_video(lenient), push_video(lenient, "/sdcard/DCIM/b.mp4")
    uris = f"file://{a},file://{b}"
    code, _ = run(
        lenient,
        f"am start -a android.intent.action.SEND_MULTIPLE --eua android.intent.extra.STREAM "
        f"'{uris}' -p {TIKTOK}",
    )
    assert code == 0 and lenient.ui.current_focus() == (TIKTOK, EDITOR)


def _stream(path: str) -> str:
    return f"android.intent.extra.STREAM file://{path}"


def test_unknown_am_content_and_cmd_commands_fail_as_on_a_phone(phone):
    assert run(phone, "am frob") == (255, "Unknown command: frob\n")
    assert run(phone, "cmd nosuch list") == (20, "cmd: Can't find service: nosuch\n")
    assert run(phone, "cmd package frob") == (255, "Unknown command: frob\n")
    code, out = run(phone, "content frob --uri content://media/external/file")
    assert code == 0 and out.startswith("usage: adb shell content")
    assert out.endswith("[ERROR] Unsupported operation: frob\n")
    _, out = run(phone, "content query --uri content://media/external/file --frob 1")
    assert out.endswith("[ERROR] Unsupported argument: --frob\n")
    _, out = run(phone, "content call --uri content://media --method frob")
    assert out.startswith(
        "Error while accessing provider:media\n"
        "java.lang.UnsupportedOperationException: Unsupported call: frob\n"
    )
    _, out = run(phone, "content query --uri content://nope/x")
    assert "java.lang.IllegalStateException: Could not find provider: nope" in out


# -- media indexing ----------------------------------------------------------------------------


def test_android_10_ways_to_index_media(phone):
    fs, ui = phone.fs, phone.ui
    fs.write("/sdcard/Pictures/p.jpg", b"jpg")
    run(
        phone,
        "content insert --uri content://media/external/images/media "
        "--bind _data:s:/storage/emulated/0/Pictures/p.jpg --bind date_modified:i:1700000000",
    )
    assert [m.path for m in ui.gallery_items()] == ["/sdcard/Pictures/p.jpg"]
    fs.write("/sdcard/Movies/farm/v.mp4", b"mp4", parents=True)
    fs.write("/sdcard/Android/data/x/cache.jpg", b"private", parents=True)
    code, out = run(
        phone, "content call --uri content://media --method scan_volume --arg external_primary"
    )
    assert (code, out) == (0, "Result: null\n")
    assert {m.path for m in ui.gallery_items()} == {
        "/sdcard/Pictures/p.jpg",
        "/sdcard/Movies/farm/v.mp4",
    }
    out = run(phone, "content query --uri content://media/external/video/media")[1]
    assert "_data=/storage/emulated/0/Movies/farm/v.mp4" in out
    push_video(phone)  # the deprecated broadcast is still delivered
    assert ui.gallery_items()[0].path == "/sdcard/DCIM/a.mp4"


SHARE = f"{TIKTOK}/com.ss.android.ugc.aweme.share.SystemShareActivity"
SCAN_VOLUME = "content call --uri content://media --method scan_volume --arg external_primary"


def _indexed(phone: Phone, path: str) -> str:
    """Push a video, scan the volume, and return its content Uri from MediaStore."""
    phone.fs.write(path, b"\0video" + path.encode(), parents=True)
    run(phone, SCAN_VOLUME)
    where = f"\"_data='{phone.fs.normalize(path)}'\""
    out = run(phone, f"content query --uri content://media/external/video/media --where {where}")
    row_id = re.search(r"_id=(\d+)", out[1]).group(1)
    return f"content://media/external/video/media/{row_id}"


def _send(uri: str, component: str = SHARE) -> str:
    return (
        f"am start -W -n {component} -a android.intent.action.SEND -t video/mp4 "
        f"--grant-read-uri-permission --eu android.intent.extra.STREAM {uri}"
    )


def test_a_shared_content_uri_opens_the_file_mediastore_indexed_under_it(phone):
    uri = _indexed(phone, "/sdcard/DCIM/a.mp4")
    assert run(phone, _send(uri))[0] == 0
    assert phone.ui.current_focus() == (TIKTOK, EDITOR)


def test_a_share_to_an_activity_the_app_lacks_or_an_unknown_uri_opens_no_media(phone):
    uri = _indexed(phone, "/sdcard/DCIM/a.mp4")
    code, out = run(phone, _send(uri, f"{TIKTOK}/.share.Nope"))
    assert code == 1 and "Error: Activity class" in out and "does not exist" in out
    assert run(phone, _send("content://media/external/video/media/99999"))[0] == 0
    assert phone.ui.current_focus() == (TIKTOK, "com.ss.android.ugc.aweme.main.MainActivity")


def test_content_query_where_and_scan_volume_forgetting_deleted_files(phone):
    for name in ("a.mp4", "b.mp4", "c.jpg"):
        phone.fs.write(f"/sdcard/DCIM/{name}", name.encode(), parents=True)
    run(phone, SCAN_VOLUME)
    query = "content query --uri content://media/external/file --projection _data --where "
    root = "/storage/emulated/0/DCIM"
    out = run(phone, query + f"\"_data='{root}/a.mp4' OR _data LIKE '%.JPG'\"")[1]
    assert out == f"Row: 0 _data={root}/a.mp4\nRow: 1 _data={root}/c.jpg\n"
    _, out = run(phone, query + "'_data > 3'")
    assert "Error while accessing provider:media" in out and "SQLiteException" in out
    run(phone, "rm /sdcard/DCIM/a.mp4")
    run(phone, SCAN_VOLUME)
    assert f"{root}/a.mp4" not in phone.media.paths()
    assert [m.path for m in phone.ui.gallery_items()] == [
        "/sdcard/DCIM/c.jpg",
        "/sdcard/DCIM/b.mp4",
    ]


def test_the_galleries_list_the_most_recently_modified_first(phone):
    for name in ("a.mp4", "b.mp4"):
        phone.fs.write(f"/sdcard/DCIM/{name}", name.encode(), parents=True)
    run(
        phone,
        "touch -m -d @1700000002 /sdcard/DCIM/a.mp4 && touch -d @1700000001 /sdcard/DCIM/b.mp4",
    )
    run(phone, SCAN_VOLUME)  # scans b after a, but a was modified last
    assert [m.path[-5:] for m in phone.ui.gallery_items()] == ["a.mp4", "b.mp4"]
    assert run(phone, "touch -t 203001010000.00 /sdcard/DCIM/b.mp4")[0] == 0
    run(phone, SCAN_VOLUME)
    assert [m.path[-5:] for m in phone.ui.gallery_items()] == ["b.mp4", "a.mp4"]
    assert run(phone, "touch -d yesterday /sdcard/DCIM/b.mp4")[0] == 1


# -- typing ----------------------------------------------------------------------------------


def test_a_field_with_a_length_limit_keeps_whole_characters_only(phone):
    search_field(phone)
    phone.ui.faults.max_length = {"search_edit": 5}
    phone.ui.commit_text("abcd🔥")  # the emoji needs two UTF-16 units; one is left
    assert text_of(phone.ui, "search_edit") == "abcd"
    phone.ui.clear_field()
    phone.ui.commit_text("ab🔥cd")
    assert text_of(phone.ui, "search_edit") == "ab🔥c"


def test_input_text_with_non_ascii_is_killed_and_types_nothing(phone, lenient):
    search_field(phone)
    assert run(phone, "input text 'ngon%squá'") == (137, "Killed\n")
    assert text_of(phone.ui, "search_edit") == "Search" and phone.typed == []
    assert run(phone, "input text 'ngon%squa'")[0] == 0
    assert text_of(phone.ui, "search_edit") == "ngon qua"
    search_field(lenient)
    run(lenient, "input text 'ngon%squá'")
    assert text_of(lenient.ui, "search_edit") == "ngon qu"  # the old simulator dropped the á


def test_adb_keyboard_types_only_once_selected(phone, lenient):
    b64 = base64.b64encode("olá 😀".encode()).decode()
    for p in (phone, lenient):
        p.ui.installed_packages["com.android.adbkeyboard"] = "2.0"
        search_field(p)
        out = run(p, f"am broadcast -a ADB_INPUT_B64 --es msg {b64}")[1]
        assert out.endswith("Broadcast completed: result=0\n")
    assert text_of(phone.ui, "search_edit") == "Search"  # nobody listened
    assert text_of(lenient.ui, "search_edit") == "olá 😀"  # the lenient phone delivered anyway
    run(
        phone, "ime enable com.android.adbkeyboard/.AdbIME; ime set com.android.adbkeyboard/.AdbIME"
    )
    run(phone, f"am broadcast -a ADB_INPUT_B64 --es msg {b64}")
    assert text_of(phone.ui, "search_edit") == "olá 😀"


def test_uiautomator2_keyboard_actions(phone):
    phone.fs.write("/data/local/tmp/kb.apk", (ASSETS / "app-uiautomator.apk").read_bytes())
    assert U2_IME not in run(phone, "ime list -s -a")[1]
    assert run(phone, "pm install -r -t /data/local/tmp/kb.apk") == (0, "Success\n")
    assert run(phone, "ime list -s -a")[1].split() == [
        "com.google.android.inputmethod.latin/com.android.inputmethod.latin.LatinIME",
        U2_IME,
    ]
    assert run(phone, f"ime set {U2_IME}")[1] == f"Input method {U2_IME} selected for user #0\n"
    search_field(phone)

    def broadcast(args: str) -> str:
        return run(phone, f"am broadcast -a ADB_KEYBOARD_{args}")[1].splitlines()[-1]

    text = base64.b64encode("çà 🔥".encode()).decode()
    assert broadcast(f"INPUT_TEXT --es text {text}") == "Broadcast completed: result=-1"
    assert broadcast("INPUT_KEYCODE --es code 67") == "Broadcast completed: result=-1"
    assert text_of(phone.ui, "search_edit") == "çà 🔥"  # a string extra is not an int: no DEL
    broadcast("INPUT_KEYCODE --ei code 67")
    assert text_of(phone.ui, "search_edit") == "çà "
    phone.clipboard = "clip"
    assert broadcast("GET_CLIPBOARD") == 'Broadcast completed: result=-1, data="Y2xpcA=="'
    broadcast(f"SET_TEXT --es text {base64.b64encode(b'new').decode()}")
    assert text_of(phone.ui, "search_edit") == "new"
    assert broadcast("INPUT_TEXT --es text !!!") == (
        'Broadcast completed: result=0, data="error:bad base-64"'
    )
    broadcast("CLEAR_TEXT")
    assert text_of(phone.ui, "search_edit") == "Search"


def test_pm_install_needs_a_real_apk(phone, lenient):
    for p in (phone, lenient):
        p.fs.write("/data/local/tmp/fake.apk", b"not a zip")
    code, out = run(phone, "pm install /data/local/tmp/fake.apk")
    assert code == 1 and out.startswith("Failure [INSTALL_PARSE_FAILED_NOT_APK: ")
    assert run(lenient, "pm install /data/local/tmp/fake.apk") == (0, "Success\n")
    assert run(phone, "ime set com.nope/.Ime")[1] == (
        "Unknown input method com.nope/.Ime cannot be selected for user #0\n"
    )


# -- uiautomator dump and app_process ----------------------------------------------------------


def test_plain_dump_cannot_get_idle_on_a_playing_feed(phone, lenient):
    assert run(phone, "uiautomator dump /sdcard/x.xml")[1].startswith("UI hierchary dumped to")
    phone.ui.start_app(TIKTOK)
    code, out = run(phone, "rm /sdcard/x.xml; uiautomator dump /sdcard/x.xml; echo $?")
    assert out == "ERROR: could not get idle state.\n0\n"
    assert not phone.fs.exists("/sdcard/x.xml")
    lenient.ui.start_app(TIKTOK)
    assert "UI hierchary dumped to" in run(lenient, "uiautomator dump /sdcard/x.xml")[1]


def test_app_process_needs_the_class_in_a_pushed_jar(phone):
    launch = "app_process / com.wetest.uia2.Main"
    code, out = run(phone, launch)
    assert code == 1 and 'ClassNotFoundException: Didn\'t find class "com.wetest.uia2.Main"' in out
    phone.fs.write("/data/local/tmp/u2.jar", (ASSETS / "u2.jar").read_bytes())
    jar = "CLASSPATH=/data/local/tmp/u2.jar"
    assert run(phone, f"{jar} {launch} -p 70000") == (
        1,
        "Invalid port: 70000. Must be between 1 and 65535.\n",
    )
    assert run(phone, f"{jar} {launch} --help")[1].startswith("usage: uiautomator2-server")
    assert run(phone, "CLASSPATH=/x; echo $CLASSPATH") == (0, "/x\n")
