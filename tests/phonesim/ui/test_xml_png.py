"""Dump format, layout consistency on every screen, and screenshots."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from phonesim.ui import PhoneUI, hit_test, problems
from phonesim.ui.nodes import CLICKABLE, MODAL, walk

from .helpers import IG, TT, FakeFS, center, find, push_media, tap

ATTRS = [
    "index", "text", "resource-id", "class", "package", "content-desc", "checkable", "checked",
    "clickable", "enabled", "focusable", "focused", "scrollable", "long-clickable", "password",
    "selected", "bounds",
]  # fmt: skip
PREFIX = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"


def test_dump_is_androids_format(ui):
    ui.start_app(TT)
    xml = ui.dump_xml()
    assert xml.startswith(PREFIX + '<node index="0" text="" resource-id="" class="android.widget')
    assert xml.endswith("</hierarchy>") and "\n" not in xml
    root = ET.fromstring(xml)
    assert root.tag == "hierarchy" and root.get("rotation") == "0"
    top = root[0]
    assert top.get("bounds") == "[0,0][1080,2400]" and top.get("package") == TT
    for node in root.iter("node"):
        assert list(node.attrib) == ATTRS
        assert re.fullmatch(r"\[\d+,\d+\]\[\d+,\d+\]", node.get("bounds"))
        for flag in ATTRS[6:16]:
            assert node.get(flag) in ("true", "false")
    assert re.search(r'bounds="\[[^"]*\]" />', xml)  # leaves close like KXmlSerializer


def test_escaping_of_typed_text(ui):
    ui.start_app(TT)
    tap(ui, "search_icon")
    ui.input_text("a<b>&\"c'")
    node = find(ui, "search_edit")
    assert node.get("text") == "a<b>&\"c'"
    assert "a&lt;b&gt;&amp;&quot;c'" in ui.dump_xml()


def _tour(phone: PhoneUI, fs: FakeFS):
    """Visit every screen; yield after each step."""
    push_media(phone, fs, "a.mp4", b"a")
    push_media(phone, fs, "b.jpg", b"b")
    phone.set_accounts(TT, ["alice", "bob"])
    phone.set_accounts(IG, ["ann", "ben"])
    yield
    steps = [
        (TT, ["tab_friends", "tab_inbox", "tab_profile", "account_switch", "touch_outside",
              "tab_home", "comment_button", "comment_close", "search_icon"]),
        (TT, ["tab_create", "upload_button", "media_item", "next_button", "edit_next",
              "publish_button"]),
        (IG, ["search_tab", "clips_tab", "comment_button"]),
        (IG, ["profile_tab", "action_bar_large_title"]),
        (IG, ["creation_tab", "next_button_textview", "next_button_textview",
              "share_footer_button"]),
        (IG, ["creation_tab", "cam_dest_story", "next_button_textview"]),
    ]  # fmt: skip
    for package, rids in steps:
        phone.force_stop(package)
        phone.start_app(package)
        yield
        for rid in rids:
            tap(phone, rid)
            yield
    for url in ("https://www.tiktok.com/@x", "https://www.tiktok.com/@x/video/7111111111111111111",
                "https://www.instagram.com/y/", "https://www.instagram.com/p/Abc/",
                "https://www.instagram.com/reel/Abc/"):  # fmt: skip
        phone.open_url(url)
        yield
    phone.open_url("https://www.instagram.com/y/")
    tap(phone, "profile_header_follow_button")
    tap(phone, "profile_header_follow_button")
    yield
    phone.start_app(TT)
    phone.show_popup("sync_contacts")
    yield
    phone.show_popup("notification_permission")
    yield
    phone.set_accounts(TT, [])
    yield
    phone.keyevent("HOME")
    yield


@pytest.mark.parametrize("screen", [(1080, 2400), (720, 1600), (1440, 3120)])
def test_every_screen_is_consistent(screen):
    fs = FakeFS()
    phone = PhoneUI(fs, screen=screen)
    seen = set()
    for _ in _tour(phone, fs):
        package, root = phone.tree()
        assert root.bounds == (0, 0, *screen)
        assert problems(root) == [], phone.current_focus()
        seen.add(phone.current_focus())
        # every clickable node on top (inside the front-most dialog/sheet if any) is hit at
        # its centre
        modals = [n for n in walk(root) if n.has(MODAL)]
        for node in walk(modals[-1] if modals else root):
            if node.clickable:
                assert hit_test(root, *node.center, CLICKABLE) is node
    assert len(seen) >= 12


def test_tap_at_parsed_centre_hits_node(ui):
    ui.start_app(TT)
    for rid in ("like_button", "tab_profile"):
        node = find(ui, rid)
        ui.tap(*center(node))
        assert ui.outcomes.taps[-1].rid.endswith(rid)


def test_screencap_is_valid_png_of_screen_size(ui):
    ui.start_app(TT)
    png = ui.screencap_png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    img = Image.open(io.BytesIO(png))
    img.verify()
    assert img.size == (1080, 2400) and img.format == "PNG"
    assert ui.screencap_png() is png  # cached while the screen is unchanged
    tap(ui, "tab_profile")
    assert ui.screencap_png() != png


def test_screencap_other_size_and_unicode():
    phone = PhoneUI(FakeFS(), screen=(720, 1280), locale="pt-BR")
    phone.start_app(IG)
    img = Image.open(io.BytesIO(phone.screencap_png()))
    assert img.size == (720, 1280)
    img.load()
