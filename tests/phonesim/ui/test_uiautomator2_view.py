"""What the uiautomator2 server sees: its dump format (every window, KXmlSerializer indentation,
extra attributes, surrogates as '.') and uiautomator selector matching."""

import xml.etree.ElementTree as ET

import pytest

from phonesim.ui.selector import SelectorError, describe, find_all, obj_info

from .helpers import TT, tap

U2_ATTRS = [
    "index", "text", "resource-id", "class", "package", "content-desc", "checkable", "checked",
    "clickable", "enabled", "focusable", "focused", "scrollable", "long-clickable", "password",
    "selected", "visible-to-user", "bounds", "drawing-order", "hint", "display-id",
]  # fmt: skip


def sel(**fields):
    """The client's Selector(**fields) wire dict (mask bits from research real-app-ui.md §5.3)."""
    from uiautomator2._selector import Selector

    return Selector(**fields)  # a dict, as sent


def test_u2_dump_has_every_window_indented_with_crlf(ui):
    ui.start_app(TT)
    xml = ui.u2_dump_xml()
    assert xml.startswith(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\r\n"
        '<hierarchy rotation="0">\r\n  <node index="0" text="" resource-id="" '
    )
    assert xml.endswith(" />\r\n  </node>\r\n</hierarchy>")
    roots = ET.fromstring(xml)
    assert [(r.get("package"), r.get("resource-id")) for r in roots] == [
        (TT, ""),
        ("com.android.systemui", "com.android.systemui:id/status_bar"),
        ("com.android.systemui", "com.android.systemui:id/navigation_bar_frame"),
    ]
    for node in roots.iter("node"):
        assert [a for a in node.attrib if a != "NAF"] == U2_ATTRS
    only_app = ET.fromstring(ui.u2_dump_xml(active_only=True))
    assert len(only_app) == 1
    shallow = ET.fromstring(ui.u2_dump_xml(max_depth=0))
    assert [len(root) for root in shallow] == [0, 0, 0]


def test_u2_dump_node_details(ui):
    ui.start_app(TT)
    tap(ui, "search_icon")
    field = ET.fromstring(ui.u2_dump_xml()).find(".//node[@class='android.widget.EditText']")
    assert (field.get("text"), field.get("hint"), field.get("focused")) == (
        "Search",
        "Search",
        "true",
    )
    ui.commit_text("fogo 🔥\u007f")
    xml = ui.u2_dump_xml()
    assert 'text="fogo ..." resource-id=' in xml  # each UTF-16 surrogate and DEL become "."
    assert 'text="fogo 🔥\u007f"' in ui.dump_xml()  # plain uiautomator keeps them
    ui.open_url("https://www.tiktok.com/@x/video/7000000000000000001")
    tap(ui, "comment_button")
    naf = [n for n in ET.fromstring(ui.u2_dump_xml()).iter("node") if n.get("NAF") == "true"]
    # The sheet's scrim is clickable with no text or description: not accessibility-friendly.
    assert [n.get("resource-id") for n in naf] == [f"{TT}:id/touch_outside"]
    assert list(naf[0].attrib)[:2] == ["NAF", "index"]


def test_selectors_match_like_uiautomator(ui):
    ui.start_app(TT)
    windows = ui.windows()
    home = find_all(windows, sel(description="Home"))
    assert [h.package for h in home] == [TT, "com.android.systemui"]  # by-selector: all windows
    # instance makes it a UiSelector: the active window only, n-th match in document order
    assert [h.package for h in find_all(windows, sel(description="Home", instance=0))] == [TT]
    assert find_all(windows, sel(description="Home", instance=1)) == []
    assert find_all(windows, sel(descriptionMatches="Like video\\. \\d+ likes"))
    assert not find_all(windows, sel(descriptionMatches="Like video"))  # matches(): whole text
    assert find_all(windows, sel(textStartsWith="Cre", clickable=True))
    tabs = find_all(windows, sel(resourceIdMatches=".*:id/main_bottom_tab"))
    kids = find_all(windows, sel(resourceIdMatches=".*:id/main_bottom_tab").child(text="Inbox"))
    assert len(tabs) == 1 and [h.node.desc for h in kids] == ["Inbox"]
    siblings = find_all(windows, sel(text="Inbox").sibling(index=4))
    assert [h.node.text for h in siblings] == ["Profile"]
    info = obj_info(kids[0])
    assert info["className"] == "android.widget.FrameLayout" and info["packageName"] == TT
    assert info["bounds"]["bottom"] > info["bounds"]["top"] and info["clickable"] is True
    with pytest.raises(SelectorError):
        find_all(windows, sel(textMatches="("))


def test_describe_is_uiselector_to_string():
    assert describe(sel(text="Create")) == "UiSelector[TEXT=Create]"
    assert (
        describe(sel(className="android.widget.Button", text="OK", instance=2).child(focused=True))
        == "UiSelector[TEXT=OK, CLASS=android.widget.Button, INSTANCE=2, "
        "CHILD=UiSelector[FOCUSED=true]]"
    )
