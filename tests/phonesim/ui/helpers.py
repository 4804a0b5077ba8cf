"""Test doubles and the find-then-tap-the-centre loop a real script does."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

TT = "com.zhiliaoapp.musically"
IG = "com.instagram.android"


class FakeFS:
    """Just the calls PhoneUI may make; folders are implied by file paths. Every file has the
    modification time 0 unless a test sets one in ``mtimes``."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.mtimes: dict[str, int] = {}

    def write(self, path: str, data: bytes) -> None:
        self.files[path] = data

    def remove(self, path: str) -> None:
        del self.files[path]

    def read(self, path: str) -> bytes:
        return self.files[path]

    def exists(self, path: str) -> bool:
        path = path.rstrip("/")
        return path in self.files or any(k.startswith(path + "/") for k in self.files)

    def listdir(self, path: str) -> list[str]:
        path = path.rstrip("/") + "/"
        return sorted({k[len(path) :].split("/")[0] for k in self.files if k.startswith(path)})

    def stat(self, path: str) -> tuple[int, int, int] | None:
        if path not in self.files:
            return None
        return 0o100644, len(self.files[path]), self.mtimes.get(path, 0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def nodes(ui) -> list[ET.Element]:
    return list(ET.fromstring(ui.dump_xml()).iter("node"))


def find(ui, rid: str = "", text: str = "", desc: str = "") -> ET.Element | None:
    for node in nodes(ui):
        res = node.get("resource-id", "")
        if rid and res != rid and not res.endswith(":id/" + rid):
            continue
        if text and node.get("text") != text:
            continue
        if desc and node.get("content-desc") != desc:
            continue
        return node
    return None


def find_all(ui, rid: str) -> list[ET.Element]:
    return [n for n in nodes(ui) if n.get("resource-id", "").endswith(":id/" + rid)]


def center(node: ET.Element) -> tuple[int, int]:
    x1, y1, x2, y2 = map(int, re.findall(r"-?\d+", node.get("bounds", "")))
    return (x1 + x2) // 2, (y1 + y2) // 2


def tap(ui, rid: str = "", text: str = "", desc: str = "") -> ET.Element:
    node = find(ui, rid, text, desc)
    assert node is not None, f"no node rid={rid!r} text={text!r} desc={desc!r}"
    ui.tap(*center(node))
    return node


def tap_el(ui, node: ET.Element) -> None:
    ui.tap(*center(node))


def swipe_up(ui) -> None:
    w, h = ui.screen
    ui.swipe(w // 2, h * 7 // 10, w // 2, h * 3 // 10, 300)


def text_of(ui, rid: str) -> str:
    node = find(ui, rid)
    assert node is not None, rid
    return node.get("text", "")


def push_media(ui, fs: FakeFS, name: str, data: bytes, folder: str = "/sdcard/DCIM/Camera"):
    path = f"{folder}/{name}"
    fs.write(path, data)
    ui.media_scan(path)
    return path
