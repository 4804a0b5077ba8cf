"""System UI windows: the status bar and the navigation bar (package com.android.systemui).

Plain `uiautomator dump` shows only the active window, so these never appear there; the
uiautomator2 server dumps every window root (research real-app-ui.md §4.2), so its XML has them
after the app's window. Ids and descriptions are AOSP SystemUI's (`clock`, `back`, `home`,
`recent_apps`; "Back", "Home", "Overview"). The navigation buttons sit where PhoneUI.tap already
treats the bottom bar as back / home / recents.
"""

from __future__ import annotations

from .nodes import CLICKABLE, FOCUSABLE, FRAME, IMAGE, TEXT, Node

SYSTEMUI = "com.android.systemui"


def _id(name: str) -> str:
    return f"{SYSTEMUI}:id/{name}"


def status_bar(width: int, height: int) -> Node:
    clock = Node(TEXT, (round(width * 0.04), 0, round(width * 0.16), height), rid=_id("clock"))
    clock.text = "12:00"  # what render.py draws
    return Node(FRAME, (0, 0, width, height), [clock], rid=_id("status_bar"))


def navigation_bar(width: int, screen_h: int, height: int, labels: tuple[str, str, str]) -> Node:
    top = screen_h - height
    names = ("back", "home", "recent_apps")
    buttons = [
        Node(
            IMAGE,
            (width * i // 3, top, width * (i + 1) // 3, screen_h),
            rid=_id(name),
            desc=label,
            flags=CLICKABLE | FOCUSABLE,  # KeyButtonView
        )
        for i, (name, label) in enumerate(zip(names, labels, strict=True))
    ]
    return Node(FRAME, (0, top, width, screen_h), buttons, rid=_id("navigation_bar_frame"))
