"""Text input: `input text`, key events, ADB keyboard broadcasts, media scanning."""

import base64

from phonesim.ui import PhoneUI

from .helpers import TT, FakeFS, find, push_media, tap, text_of

OUTPUT = "Broadcasting: Intent { act=ADB_INPUT_TEXT flg=0x400000 (has extras) }\n"


def _search(ui):
    ui.start_app(TT)
    tap(ui, "search_icon")


def test_input_text_drops_non_ascii(ui):
    _search(ui)
    ui.input_text("café 😀 ok")
    assert text_of(ui, "search_edit") == "caf  ok"


def test_unicode_via_broadcast_needs_ime():
    without = PhoneUI(FakeFS())
    _search(without)
    out = without.broadcast("ADB_INPUT_TEXT", {"msg": "olá 😀"})
    assert out == OUTPUT + "Broadcast completed: result=0"
    assert text_of(without, "search_edit") == "Search"  # hint: nothing typed

    installed = dict(without.installed_packages, **{"com.android.adbkeyboard": "2.0"})
    ime = PhoneUI(FakeFS(), installed=installed)
    _search(ime)
    ime.broadcast("ADB_INPUT_TEXT", {"msg": "olá 😀"})
    b64 = base64.b64encode(" çà".encode()).decode()
    ime.broadcast("ADB_INPUT_B64", {"msg": b64})
    assert text_of(ime, "search_edit") == "olá 😀 çà"
    ime.broadcast("ADB_CLEAR_TEXT", {})
    assert text_of(ime, "search_edit") == "Search"


def test_keyevents_edit_text(ui):
    _search(ui)
    ui.input_text("abcd")
    ui.keyevent(67)
    ui.keyevent("KEYCODE_DEL")
    ui.keyevent("KEYCODE_X")
    ui.keyevent("62")
    ui.keyevent("KEYCODE_7")
    assert text_of(ui, "search_edit") == "abx 7"


def test_typing_needs_focus(ui):
    ui.start_app(TT)
    ui.open_url("https://www.tiktok.com/@x/video/7000000000000000001")
    tap(ui, "comment_button")
    ui.input_text("lost")
    assert text_of(ui, "comment_edit") == "Add comment..."


def test_media_scan_folder_and_storage_paths(ui, fs):
    fs.write("/sdcard/DCIM/batch/a.mp4", b"a")
    fs.write("/sdcard/DCIM/batch/b.jpg", b"b")
    fs.write("/sdcard/DCIM/batch/notes.txt", b"n")
    ui.media_scan("/storage/emulated/0/DCIM/batch")
    assert [m.path for m in ui.gallery_items()] == [
        "/sdcard/DCIM/batch/b.jpg",
        "/sdcard/DCIM/batch/a.mp4",
    ]
    fs.remove("/sdcard/DCIM/batch/b.jpg")
    ui.media_scan("file:///sdcard/DCIM/batch/b.jpg")
    assert [m.path for m in ui.gallery_items()] == ["/sdcard/DCIM/batch/a.mp4"]


def test_rescan_same_content_keeps_order(ui, fs):
    first = push_media(ui, fs, "1.jpg", b"1")
    push_media(ui, fs, "2.jpg", b"2")
    ui.media_scan(first)
    assert ui.gallery_items()[0].path.endswith("2.jpg")


def test_open_url_without_app_goes_to_browser(fs):
    phone = PhoneUI(fs, installed={"com.android.chrome": "1"})
    phone.open_url("https://www.tiktok.com/@u")
    assert phone.current_focus()[0] == "com.android.chrome"
    assert find(phone, "url_bar").get("text") == "https://www.tiktok.com/@u"
