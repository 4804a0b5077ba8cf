"""View-hierarchy nodes: the tree a screen builds, its uiautomator XML and hit-testing.

A tree is rebuilt from app state on every dump/tap (a few hundred microseconds), so nothing here
is cached and a stale tree can never answer a tap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

Bounds = tuple[int, int, int, int]
Action = Callable[[], None]

# Android widget classes as they appear in `class="…"`.
FRAME = "android.widget.FrameLayout"
LINEAR = "android.widget.LinearLayout"
RELATIVE = "android.widget.RelativeLayout"
VIEWGROUP = "android.view.ViewGroup"
VIEW = "android.view.View"
TEXT = "android.widget.TextView"
IMAGE = "android.widget.ImageView"
IMAGE_BUTTON = "android.widget.ImageButton"
BUTTON = "android.widget.Button"
EDIT = "android.widget.EditText"
CHECKBOX = "android.widget.CheckBox"
PROGRESS = "android.widget.ProgressBar"
RECYCLER = "androidx.recyclerview.widget.RecyclerView"
PAGER = "androidx.viewpager.widget.ViewPager"
HSCROLL = "android.widget.HorizontalScrollView"

# Flag bits; one int per node keeps 300 phones' trees small.
CLICKABLE = 1
FOCUSABLE = 2
FOCUSED = 4
SCROLLABLE = 8
CHECKABLE = 16
CHECKED = 32
SELECTED = 64
DISABLED = 128
LONG_CLICKABLE = 256
PASSWORD = 512
MODAL = 1024  # not serialised: blocks taps to whatever is drawn below (dialogs, sheets)

_BOOL_ATTRS = (
    ("checkable", CHECKABLE),
    ("checked", CHECKED),
    ("clickable", CLICKABLE),
    ("enabled", -DISABLED),
    ("focusable", FOCUSABLE),
    ("focused", FOCUSED),
    ("scrollable", SCROLLABLE),
    ("long-clickable", LONG_CLICKABLE),
    ("password", PASSWORD),
    ("selected", SELECTED),
)


class Node:
    """One view. `fill` is a render-only palette hint (see render.py), never serialised."""

    __slots__ = (
        "cls",
        "bounds",
        "rid",
        "text",
        "desc",
        "flags",
        "kids",
        "on_tap",
        "on_long",
        "on_scroll",
        "fill",
        "hint",
    )

    def __init__(
        self,
        cls: str,
        bounds: Bounds,
        kids: list[Node] | None = None,
        *,
        rid: str = "",
        text: str = "",
        desc: str = "",
        flags: int = 0,
        on_tap: Action | None = None,
        on_long: Action | None = None,
        on_scroll: Callable[[str], None] | None = None,
        fill: int = -1,
        hint: str = "",
    ) -> None:
        self.cls = cls
        self.bounds = bounds
        self.rid = rid
        self.text = text
        self.desc = desc
        # Views with a click handler are clickable and focusable on Android.
        if on_tap is not None:
            flags |= CLICKABLE | FOCUSABLE
        if on_long is not None:
            flags |= LONG_CLICKABLE
        if on_scroll is not None:
            flags |= SCROLLABLE
        self.flags = flags
        self.kids = kids or []
        self.on_tap = on_tap
        self.on_long = on_long
        self.on_scroll = on_scroll
        self.fill = fill
        self.hint = hint  # an EditText's hint; only the uiautomator2 dump shows it (API 26+)

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)

    @property
    def clickable(self) -> bool:
        return bool(self.flags & CLICKABLE)

    @property
    def center(self) -> tuple[int, int]:
        x1, y1, x2, y2 = self.bounds
        return (x1 + x2) // 2, (y1 + y2) // 2

    def __repr__(self) -> str:
        return f"Node({self.cls.rsplit('.', 1)[-1]} {self.rid!r} {self.text!r} {self.bounds})"


def walk(node: Node) -> Iterator[Node]:
    yield node
    for kid in node.kids:
        yield from walk(kid)


def find(root: Node, rid: str = "", text: str = "", desc: str = "") -> Node | None:
    """First node matching every given criterion; `rid` may be the short name after ':id/'."""
    for node in walk(root):
        if rid and node.rid != rid and not node.rid.endswith(":id/" + rid):
            continue
        if text and node.text != text:
            continue
        if desc and node.desc != desc:
            continue
        return node
    return None


def prune(node: Node, hidden: set[str]) -> Node:
    """Drop subtrees whose resource-id is in `hidden` (full id or short name)."""
    node.kids = [
        prune(k, hidden)
        for k in node.kids
        if not (k.rid and (k.rid in hidden or k.rid.split(":id/", 1)[-1] in hidden))
    ]
    return node


def _inside(b: Bounds, x: int, y: int) -> bool:
    return b[0] <= x < b[2] and b[1] <= y < b[3]


def hit_test(node: Node, x: int, y: int, want: int = CLICKABLE) -> Node | None:
    """Deepest node with `want` containing (x, y); later siblings are drawn on top."""
    if not _inside(node.bounds, x, y):
        return None
    for kid in reversed(node.kids):
        if not _inside(kid.bounds, x, y):
            continue
        found = hit_test(kid, x, y, want)
        if found is not None:
            return found
        if kid.flags & MODAL:
            return None  # a dialog or sheet swallows touches meant for views beneath it
    return node if node.flags & want else None


# -- XML ------------------------------------------------------------------------------------

# Escaping as Android's KXmlSerializer does it for attribute values; control characters that
# are invalid in XML 1.0 are replaced with '.' like uiautomator's dumper.
_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;"}
_ESCAPES.update({ord("\n"): "&#10;", ord("\r"): "&#13;", ord("\t"): "&#9;"})
_ESCAPES.update({c: "." for c in range(32) if c not in (9, 10, 13)})


def _esc(value: str) -> str:
    return value.translate(_ESCAPES)


def _emit(node: Node, index: int, package: str, out: list[str]) -> None:
    x1, y1, x2, y2 = node.bounds
    flags = node.flags
    parts = [
        f'<node index="{index}" text="{_esc(node.text)}" resource-id="{node.rid}"'
        f' class="{node.cls}" package="{package}" content-desc="{_esc(node.desc)}"'
    ]
    for name, bit in _BOOL_ATTRS:
        on = not (flags & -bit) if bit < 0 else bool(flags & bit)
        parts.append(f' {name}="{"true" if on else "false"}"')
    parts.append(f' bounds="[{x1},{y1}][{x2},{y2}]"')
    if not node.kids:
        parts.append(" />")
        out.append("".join(parts))
        return
    parts.append(">")
    out.append("".join(parts))
    for i, kid in enumerate(node.kids):
        _emit(kid, i, package, out)
    out.append("</node>")


def to_xml(root: Node, package: str, rotation: int = 0) -> str:
    """The file `uiautomator dump` writes: one line, no trailing newline."""
    out = [
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>",
        f'<hierarchy rotation="{rotation}">',
    ]
    _emit(root, 0, package, out)
    out.append("</hierarchy>")
    return "".join(out)


# -- consistency check (used by tests) --------------------------------------------------------


def _overlap(a: Bounds, b: Bounds) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def problems(root: Node) -> list[str]:
    """Layout bugs that would break tap-at-centre: children outside parents, empty clickable
    views and clickable siblings that overlap."""
    found: list[str] = []
    for node in walk(root):
        px1, py1, px2, py2 = node.bounds
        if node.clickable and (px2 <= px1 or py2 <= py1):
            found.append(f"empty clickable {node!r}")
        for kid in node.kids:
            x1, y1, x2, y2 = kid.bounds
            if x1 < px1 or y1 < py1 or x2 > px2 or y2 > py2:
                found.append(f"{kid!r} outside {node!r}")
        clickable = [k for k in node.kids if k.clickable]
        for i, a in enumerate(clickable):
            for b in clickable[i + 1 :]:
                if _overlap(a.bounds, b.bounds):
                    found.append(f"{a!r} overlaps {b!r}")
    return found
