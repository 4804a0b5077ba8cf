"""Text input: `input text`, key events, an IME's input connection, media scanning.
(The keyboards' broadcasts are Phone-level: tests/phonesim/test_strict.py.)"""

from phonesim.ui import PhoneUI

from .helpers import TT, find, push_media, tap, text_of


def _search(ui):
    ui.start_app(TT)
    tap(ui, "search_icon")


def test_input_text_drops_non_ascii(ui):
    _search(ui)
    ui.input_text("café 😀 ok")
    assert text_of(ui, "search_edit") == "caf  ok"


def test_an_input_connection_takes_any_unicode_into_the_focused_field(ui):
    ui.start_app(TT)
    assert not ui.has_input_connection() and not ui.commit_text("lost")
    tap(ui, "search_icon")
    assert ui.commit_text("olá 😀\nlinha")
    assert text_of(ui, "search_edit") == "olá 😀\nlinha"
    assert ui.clear_field() and text_of(ui, "search_edit") == "Search"
    ui.show_popup("notification_permission")
    assert not ui.commit_text("x")  # a dialog took the focus


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
