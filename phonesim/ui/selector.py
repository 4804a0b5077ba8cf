"""uiautomator selectors, in the wire format the uiautomator2 client sends (research
real-app-ui.md §5.3; client `_selector.py Selector`, server `stub/Selector.java`).

A selector is a dict: `mask` says which fields count, `childOrSibling` / `childOrSiblingSelector`
chain further selectors ("child": a descendant of a match; "sibling": a descendant of a match's
parent, UiSelector.fromParent). The server searches like uiautomator does: a plain selector
(no chain, no index/instance) as a BySelector over every window; anything else as a UiSelector
over the active window, where `instance` picks the n-th match in document order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .nodes import (
    CHECKABLE,
    CHECKED,
    CLICKABLE,
    DISABLED,
    FOCUSABLE,
    FOCUSED,
    LONG_CLICKABLE,
    SCROLLABLE,
    SELECTED,
    Node,
)

Windows = list[tuple[str, Node]]  # (package, root), the active window first


class SelectorError(ValueError):
    """A regex Java would reject (java.util.regex.PatternSyntaxException on a phone)."""


@dataclass(frozen=True, eq=False)
class Hit:
    node: Node
    package: str
    index: int  # position among the parent's children
    parent: Hit | None


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error as exc:
        raise SelectorError(f"{exc} near index {exc.pos}\n{pattern}") from exc


def _text_field(get: Callable[[Hit], str], kind: str) -> Callable[[Hit, Any], bool]:
    def check(hit: Hit, want: Any) -> bool:
        value = get(hit)
        if kind == "eq":
            return value == want
        if kind == "contains":
            return str(want) in value
        if kind == "starts":
            return value.startswith(str(want))
        return _regex(str(want)).fullmatch(value) is not None  # Java Pattern.matches

    return check


def _flag(bit: int, inverted: bool = False) -> Callable[[Hit, Any], bool]:
    def check(hit: Hit, want: Any) -> bool:
        on = not hit.node.flags & bit if inverted else bool(hit.node.flags & bit)
        return on == bool(want)

    return check


def _text(h: Hit) -> str:
    return h.node.text


def _desc(h: Hit) -> str:
    return h.node.desc


def _cls(h: Hit) -> str:
    return h.node.cls


def _pkg(h: Hit) -> str:
    return h.package


def _rid(h: Hit) -> str:
    return h.node.rid


# field -> (mask bit, matcher, name in UiSelector.toString, its order there)
FIELDS: dict[str, tuple[int, Callable[[Hit, Any], bool], str, int]] = {
    "text": (0x01, _text_field(_text, "eq"), "TEXT", 1),
    "textContains": (0x02, _text_field(_text, "contains"), "CONTAINS_TEXT", 3),
    "textMatches": (0x04, _text_field(_text, "regex"), "TEXT_REGEX", 25),
    "textStartsWith": (0x08, _text_field(_text, "starts"), "START_TEXT", 2),
    "className": (0x10, _text_field(_cls, "eq"), "CLASS", 4),
    "classNameMatches": (0x20, _text_field(_cls, "regex"), "CLASS_REGEX", 26),
    "description": (0x40, _text_field(_desc, "eq"), "DESCRIPTION", 5),
    "descriptionContains": (0x80, _text_field(_desc, "contains"), "CONTAINS_DESCRIPTION", 7),
    "descriptionMatches": (0x100, _text_field(_desc, "regex"), "DESCRIPTION_REGEX", 27),
    "descriptionStartsWith": (0x200, _text_field(_desc, "starts"), "START_DESCRIPTION", 6),
    "checkable": (0x400, _flag(CHECKABLE), "CHECKABLE", 31),
    "checked": (0x800, _flag(CHECKED), "CHECKED", 15),
    "clickable": (0x1000, _flag(CLICKABLE), "CLICKABLE", 14),
    "longClickable": (0x2000, _flag(LONG_CLICKABLE), "LONG_CLICKABLE", 24),
    "scrollable": (0x4000, _flag(SCROLLABLE), "SCROLLABLE", 13),
    "enabled": (0x8000, _flag(DISABLED, inverted=True), "ENABLED", 10),
    "focusable": (0x10000, _flag(FOCUSABLE), "FOCUSABLE", 12),
    "focused": (0x20000, _flag(FOCUSED), "FOCUSED", 11),
    "selected": (0x40000, _flag(SELECTED), "SELECTED", 16),
    "packageName": (0x80000, _text_field(_pkg, "eq"), "PACKAGE_NAME", 28),
    "packageNameMatches": (0x100000, _text_field(_pkg, "regex"), "PACKAGE_NAME_REGEX", 29),
    "resourceId": (0x200000, _text_field(_rid, "eq"), "RESOURCE_ID", 30),
    "resourceIdMatches": (0x400000, _text_field(_rid, "regex"), "RESOURCE_ID_REGEX", 32),
    "index": (0x800000, lambda h, want: h.index == int(want), "INDEX", 8),
}
MASK_INDEX, MASK_INSTANCE = 0x800000, 0x1000000


def _mask(sel: dict) -> int:
    return int(sel.get("mask") or 0)


def _chain(sel: dict) -> list[tuple[str, dict]]:
    kinds = sel.get("childOrSibling") or []
    subs = sel.get("childOrSiblingSelector") or []
    return [(str(k).lower(), s) for k, s in zip(kinds, subs, strict=False)]


def _matches(sel: dict, hit: Hit) -> bool:
    mask = _mask(sel)
    return all(
        check(hit, sel.get(name)) for name, (bit, check, *_r) in FIELDS.items() if mask & bit
    )


def _instance(sel: dict) -> int | None:
    return int(sel.get("instance") or 0) if _mask(sel) & MASK_INSTANCE else None


def flatten(package: str, root: Node) -> list[Hit]:
    """Every node of a window in document order (the order uiautomator counts instances in)."""
    out: list[Hit] = []

    def visit(node: Node, index: int, parent: Hit | None) -> None:
        hit = Hit(node, package, index, parent)
        out.append(hit)
        for i, kid in enumerate(node.kids):
            visit(kid, i, hit)

    visit(root, 0, None)
    return out


def _descendants(hit: Hit, everything: list[Hit]) -> Iterator[Hit]:
    for candidate in everything:
        up = candidate.parent
        while up is not None and up is not hit:
            up = up.parent
        if up is hit:
            yield candidate


def _pick(hits: list[Hit], instance: int | None) -> list[Hit]:
    if instance is None:
        return hits
    return hits[instance : instance + 1]


def uses_ui_selector(sel: dict) -> bool:
    """What the server does with it: UiSelector (active window) rather than BySelector."""
    return bool(_chain(sel)) or bool(_mask(sel) & (MASK_INDEX | MASK_INSTANCE))


def find_all(windows: Windows, sel: dict) -> list[Hit]:
    """Every node the selector matches, in document order."""
    scope = windows[:1] if uses_ui_selector(sel) else windows
    everything = [hit for package, root in scope for hit in flatten(package, root)]
    found = _pick([h for h in everything if _matches(sel, h)], _instance(sel))
    for kind, sub in _chain(sel):
        pool: list[Hit] = []
        for hit in found:
            base = hit if kind == "child" else hit.parent
            if base is None:
                continue
            pool.extend(h for h in _descendants(base, everything) if _matches(sub, h))
        unique = list(dict.fromkeys(pool))  # several bases may share descendants
        found = _pick(unique, _instance(sub))
    return found


def describe(sel: dict) -> str:
    """UiSelector.toString(): the message of a UiObjectNotFoundException."""
    mask = _mask(sel)
    parts = [
        (order, f"{name}={_java(sel.get(field))}")
        for field, (bit, _check, name, order) in FIELDS.items()
        if mask & bit
    ]
    if mask & MASK_INSTANCE:
        parts.append((9, f"INSTANCE={int(sel.get('instance') or 0)}"))
    text = ", ".join(p for _o, p in sorted(parts))
    for kind, sub in _chain(sel):
        label = "CHILD" if kind == "child" else "PARENT"
        text += (", " if text else "") + f"{label}={describe(sub)}"
    return f"UiSelector[{text}]"


def _java(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rect(bounds: tuple[int, int, int, int]) -> dict[str, int]:
    x1, y1, x2, y2 = bounds
    return {"bottom": y2, "left": x1, "right": x2, "top": y1}


def obj_info(hit: Hit) -> dict[str, Any]:
    """The server's ObjInfo as Jackson serialises it (empty strings are Java nulls)."""
    node, flags = hit.node, hit.node.flags
    return {
        "bounds": _rect(node.bounds),
        "childCount": len(node.kids),
        "className": node.cls,
        "contentDescription": node.desc or None,
        "packageName": hit.package,
        "resourceName": node.rid or None,
        "text": node.text or None,
        "visibleBounds": _rect(node.bounds),
        "checkable": bool(flags & CHECKABLE),
        "checked": bool(flags & CHECKED),
        "clickable": bool(flags & CLICKABLE),
        "enabled": not flags & DISABLED,
        "focusable": bool(flags & FOCUSABLE),
        "focused": bool(flags & FOCUSED),
        "longClickable": bool(flags & LONG_CLICKABLE),
        "scrollable": bool(flags & SCROLLABLE),
        "selected": bool(flags & SELECTED),
    }
