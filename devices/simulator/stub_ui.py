"""A tiny stand-in for devices.simulator.ui.PhoneUI, used only until the real one exists.

It satisfies the same interface: a launcher with app icons and one screen per app with a search
field and a Follow button, hit-tested against bounds."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

TIKTOK = "com.zhiliaoapp.musically"
INSTAGRAM = "com.instagram.android"
DEFAULT_PACKAGES = {
    TIKTOK: "34.1.2",
    INSTAGRAM: "309.0.0.40.113",
    "com.android.settings": "14",
    "com.android.chrome": "120.0.6099.144",
    "com.google.android.apps.nexuslauncher": "14",
    "com.android.adbkeyboard": "2.0",
}
_LAUNCHER = {"TikTok": TIKTOK, "Instagram": INSTAGRAM}
_ACTIVITIES = {
    TIKTOK: "com.ss.android.ugc.aweme.splash.SplashActivity",
    INSTAGRAM: "com.instagram.mainactivity.MainActivity",
}


@dataclass
class Element:
    resource_id: str
    text: str
    desc: str
    bounds: tuple[int, int, int, int]
    cls: str = "android.widget.TextView"
    clickable: bool = True


@dataclass
class Outcomes:
    follows: list[str] = field(default_factory=list)
    taps: list[str] = field(default_factory=list)
    typed: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    gallery: list[str] = field(default_factory=list)


class PhoneUI:
    def __init__(self, fs, *, screen=(1080, 2400), installed=None, locale="en-US", seed=0):
        self.fs = fs
        self.screen = screen
        self.installed_packages = dict(DEFAULT_PACKAGES if installed is None else installed)
        self.locale = locale
        self.foreground: str | None = None
        self.outcomes = Outcomes()

    # -- apps ------------------------------------------------------------------------------------

    def start_app(self, package: str, activity: str | None = None) -> bool:
        if package not in self.installed_packages:
            return False
        self.foreground = package
        return True

    def force_stop(self, package: str) -> None:
        if self.foreground == package:
            self.foreground = None

    def open_url(self, url: str, package: str | None = None) -> None:
        self.outcomes.urls.append(url)
        self.start_app(package or TIKTOK)

    def current_focus(self) -> tuple[str, str] | None:
        if self.foreground is None:
            return None
        return self.foreground, _ACTIVITIES.get(self.foreground, self.foreground + ".MainActivity")

    # -- screen ----------------------------------------------------------------------------------

    def elements(self) -> list[Element]:
        w, h = self.screen
        if self.foreground is None:
            return [
                Element("", "TikTok", "TikTok", (60, h - 500, 300, h - 260)),
                Element("", "Instagram", "Instagram", (360, h - 500, 600, h - 260)),
            ]
        pkg = self.foreground
        return [
            Element(
                f"{pkg}:id/search", "", "Search", (40, 120, w - 40, 240), "android.widget.EditText"
            ),
            Element(
                f"{pkg}:id/follow_button",
                "Follow",
                "",
                (w - 360, 400, w - 40, 520),
                "android.widget.Button",
            ),
            Element(f"{pkg}:id/title", "Stub feed", "", (40, 600, w - 40, 700), clickable=False),
        ]

    def dump_xml(self) -> str:
        w, h = self.screen
        pkg = self.foreground or "com.google.android.apps.nexuslauncher"
        nodes = "".join(_node(i, e, pkg) for i, e in enumerate(self.elements()))
        return (
            "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
            f'<node index="0" text="" resource-id="" class="android.widget.FrameLayout" '
            f'package="{pkg}" content-desc="" checkable="false" checked="false" clickable="false" '
            'enabled="true" focusable="false" focused="false" scrollable="false" '
            'long-clickable="false" password="false" selected="false" '
            f'bounds="[0,0][{w},{h}]">{nodes}</node></hierarchy>'
        )

    def screencap_png(self) -> bytes:
        colour = (0, 0, 0) if self.foreground is None else (254, 44, 85)
        return _solid_png(self.screen, colour)

    # -- input -----------------------------------------------------------------------------------

    def tap(self, x: int, y: int) -> None:
        for e in self.elements():
            x1, y1, x2, y2 = e.bounds
            if e.clickable and x1 <= x < x2 and y1 <= y < y2:
                self.outcomes.taps.append(e.resource_id or e.text)
                if self.foreground is None:
                    self.start_app(_LAUNCHER[e.text])
                elif e.resource_id.endswith("follow_button"):
                    self.outcomes.follows.append(self.foreground)
                return

    def swipe(self, x1, y1, x2, y2, duration_ms=300) -> None:
        return None

    def input_text(self, text: str) -> None:
        self.outcomes.typed.append(text)

    def keyevent(self, code: int | str) -> None:
        self.outcomes.keys.append(str(code))
        if str(code) in ("3", "KEYCODE_HOME", "HOME"):
            self.foreground = None

    def broadcast(self, action: str, extras: dict[str, str]) -> str:
        return ""

    def media_scan(self, path: str) -> None:
        if self.fs.exists(path):
            self.outcomes.gallery.append(path)


def _node(index: int, e: Element, package: str) -> str:
    x1, y1, x2, y2 = e.bounds
    flag = "true" if e.clickable else "false"
    return (
        f'<node index="{index}" text={quoteattr(e.text)} resource-id={quoteattr(e.resource_id)} '
        f'class="{e.cls}" package="{package}" content-desc={quoteattr(e.desc)} checkable="false" '
        f'checked="false" clickable="{flag}" enabled="true" focusable="{flag}" focused="false" '
        'scrollable="false" long-clickable="false" password="false" selected="false" '
        f'bounds="[{x1},{y1}][{x2},{y2}]" />'
    )


def _solid_png(size: tuple[int, int], rgb: tuple[int, int, int]) -> bytes:
    w, h = size
    row = b"\x00" + bytes(rgb) * w
    raw = zlib.compress(row * h, 6)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
