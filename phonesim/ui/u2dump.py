"""The view hierarchy as the uiautomator2 server's `dumpWindowHierarchy` writes it.

It differs from plain `uiautomator dump` (nodes.to_xml) in ways a parser notices (research
real-app-ui.md §4.2; U2S `AccessibilityNodeInfoDumper.dumpNodeRec`):
- every window root (the app, the status bar, the navigation bar), not only the active window;
- pretty-printed by KXmlSerializer: CRLF line breaks and two spaces per level;
- per node `NAF`, `visible-to-user`, `drawing-order`, `hint` and `display-id` on top of the plain
  dump's attributes;
- its stripInvalidXMLChars replaces every UTF-16 surrogate with '.', so an emoji (two UTF-16
  units) shows as ".." in the XML; `getText` over JSON-RPC still returns the real text.
"""

from __future__ import annotations

from .nodes import _BOOL_ATTRS, DISABLED, Node

NAF_EXCLUDED = (
    "android.widget.GridView",
    "android.widget.GridLayout",
    "android.widget.ListView",
    "android.widget.TableLayout",
)
_KXML_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;"}
_KXML_ESCAPES.update({ord("\n"): "&#10;", ord("\r"): "&#13;", ord("\t"): "&#9;"})


def _invalid_utf16(code: int) -> bool:
    """The ranges the u2 dumper replaces with '.' (checked per UTF-16 unit)."""
    return (
        0x0 <= code <= 0x8
        or 0xB <= code <= 0xC
        or 0xE <= code <= 0x1F
        or 0x7F <= code <= 0x84
        or 0x86 <= code <= 0x9F
        or 0xD800 <= code <= 0xDFFF
        or 0xFDD0 <= code <= 0xFDDF
        or 0xFFFE <= code <= 0xFFFF
    )


def _text(value: str) -> str:
    out = []
    for ch in value:
        code = ord(ch)
        if code > 0xFFFF:
            out.append("..")  # a surrogate pair: two invalid units
        elif _invalid_utf16(code):
            out.append(".")
        else:
            out.append(ch)
    return "".join(out).translate(_KXML_ESCAPES)


def _labelled(node: Node) -> bool:
    return any(kid.text or kid.desc or _labelled(kid) for kid in node.kids)


def _naf(node: Node) -> bool:
    """Clickable, enabled, no text or description anywhere inside: not accessibility friendly."""
    if node.cls.endswith(NAF_EXCLUDED):
        return False
    enabled = not node.flags & DISABLED
    return node.clickable and enabled and not node.text and not node.desc and not _labelled(node)


def _emit(node: Node, package: str, index: int, order: int, depth: int, budget: int, out: list):
    x1, y1, x2, y2 = node.bounds
    attrs = ['NAF="true" '] if _naf(node) else []
    attrs.append(
        f'index="{index}" text="{_text(node.text)}" resource-id="{node.rid}" class="{node.cls}"'
        f' package="{package}" content-desc="{_text(node.desc)}"'
    )
    for name, bit in _BOOL_ATTRS:  # same names and order as the plain dump
        on = not (node.flags & -bit) if bit < 0 else bool(node.flags & bit)
        attrs.append(f' {name}="{"true" if on else "false"}"')
    attrs.append(f' visible-to-user="true" bounds="[{x1},{y1}][{x2},{y2}]"')
    attrs.append(f' drawing-order="{order}" hint="{_text(node.hint)}" display-id="0"')
    out.append("\r\n" + "  " * depth + "<node " + "".join(attrs))
    kids = node.kids if budget > 0 else []
    if not kids:
        out.append(" />")
        return
    out.append(">")
    for i, kid in enumerate(kids):
        _emit(kid, package, i, i + 1, depth + 1, budget - 1, out)
    out.append("\r\n" + "  " * depth + "</node>")


def to_u2_xml(windows: list[tuple[str, Node]], max_depth: int = 50, rotation: int = 0) -> str:
    """``windows`` are (package, root) pairs, the active window first."""
    out = [
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>",
        f'\r\n<hierarchy rotation="{rotation}">',
    ]
    for package, root in windows:
        _emit(root, package, 0, 0, 1, max_depth, out)
    out.append("\r\n</hierarchy>")
    return "".join(out)
