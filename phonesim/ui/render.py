"""Screenshot of a view tree as a real PNG.

Cheap on purpose: a 13-colour palette image (1 byte/pixel, long runs that zlib loves), no
antialiasing, and a process-wide cache keyed by *what is drawn*, so hundreds of phones showing
the same screen share one PNG and nothing per phone is kept.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from .nodes import BUTTON, SELECTED, TEXT, Node

# Palette slots used as Node.fill. -1 = nothing, -2 = icon, -3 = text field.
WHITE, BLACK, DARK, LIGHT, GREY, RED, CYAN, BLUE = range(8)
TINT = 8  # 8..11: video/photo placeholder colours
SCRIM = 12
_PALETTE = [
    (255, 255, 255),
    (0, 0, 0),
    (37, 37, 37),
    (235, 235, 235),
    (138, 138, 138),
    (254, 44, 85),
    (37, 244, 238),
    (0, 149, 246),
    (59, 47, 99),
    (31, 78, 95),
    (95, 59, 31),
    (36, 79, 42),
    (64, 64, 64),
]
_FLAT = [c for rgb in _PALETTE for c in rgb]
_LIGHT_BG = (WHITE, LIGHT, CYAN)

_CACHE: OrderedDict[tuple, bytes] = OrderedDict()
_CACHE_SIZE = 48
_LOCK = threading.Lock()


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _ops(node: Node, bg: int, out: list[tuple]) -> None:
    """Flatten the tree into hashable draw operations (the cache key)."""
    b, fill = node.bounds, node.fill
    if fill >= 0:
        out.append(("r", b, fill))
        bg = fill
    elif fill == -2:
        out.append(("o", b, RED if node.flags & SELECTED else GREY))
    elif fill == -3:
        out.append(("e", b, GREY))
    label = node.text or (node.desc if fill == -2 else "")
    if label and b[2] - b[0] > 8 and b[3] - b[1] > 8:
        colour = BLACK if bg in _LIGHT_BG else WHITE
        centred = node.cls == BUTTON or (node.cls != TEXT and fill != -3)
        out.append(("t", b, label, colour, centred))
    for kid in node.kids:
        _ops(kid, bg, out)


def _draw_text(draw: ImageDraw.ImageDraw, op: tuple, scale: float) -> None:
    _, (x1, y1, x2, y2), label, colour, centred = op
    size = max(12, min(round(40 * scale), (y2 - y1) * 2 // 3))
    fits = max(1, int((x2 - x1 - 8) / (size * 0.55)))
    label = label.replace("\n", " ")
    if len(label) > fits:
        label = label[: max(1, fits - 1)] + "…"
    font = _font(size)
    y = (y1 + y2 - size) // 2
    if centred:
        x = max(x1, (x1 + x2) // 2 - int(len(label) * size * 0.55) // 2)
    else:
        x = x1 + max(4, round(16 * scale))
    draw.text((x, y), label, fill=colour, font=font)


def _paint(size: tuple[int, int], ops: tuple, bars: tuple[int, int]) -> bytes:
    w, h = size
    scale = w / 1080
    img = Image.new("P", size, WHITE)
    img.putpalette(_FLAT)
    draw = ImageDraw.Draw(img)
    for op in ops:
        kind, (x1, y1, x2, y2) = op[0], op[1]
        if x2 <= x1 or y2 <= y1:
            continue
        if kind == "r":
            draw.rectangle((x1, y1, x2 - 1, y2 - 1), fill=op[2])
        elif kind == "o":
            r = min(x2 - x1, y2 - y1) // 3
            cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=op[2])
        elif kind == "e":
            draw.rectangle((x1, y1, x2 - 1, y2 - 1), outline=op[2], width=2)
        else:
            _draw_text(draw, op, scale)
    _system_bars(draw, w, h, bars, scale)
    out = io.BytesIO()
    img.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _system_bars(draw: ImageDraw.ImageDraw, w: int, h: int, bars: tuple[int, int], scale: float):
    status, nav = bars
    draw.rectangle((0, 0, w - 1, status - 1), fill=BLACK)
    font = _font(max(12, status // 2))
    draw.text((round(40 * scale), status // 4), "12:00", fill=WHITE, font=font)
    draw.rectangle(
        (w - round(90 * scale), status // 3, w - round(40 * scale), status * 2 // 3), fill=WHITE
    )
    draw.rectangle((0, h - nav, w - 1, h - 1), fill=BLACK)
    cy, r = h - nav // 2, nav // 5
    for i, shape in enumerate(("back", "home", "recents")):
        cx = w * (2 * i + 1) // 6
        if shape == "home":
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=WHITE, width=3)
        elif shape == "back":
            draw.polygon([(cx + r, cy - r), (cx + r, cy + r), (cx - r, cy)], outline=WHITE)
        else:
            draw.rectangle((cx - r, cy - r, cx + r, cy + r), outline=WHITE, width=3)


def screenshot(root: Node, size: tuple[int, int], bars: tuple[int, int]) -> bytes:
    """PNG bytes of `root` drawn at `size` with status/navigation bars of heights `bars`."""
    out: list[tuple] = []
    _ops(root, WHITE, out)
    key = (size, bars, tuple(out))
    with _LOCK:
        png = _CACHE.get(key)
        if png is not None:
            _CACHE.move_to_end(key)
            return png
    png = _paint(size, key[2], bars)
    with _LOCK:
        _CACHE[key] = png
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return png
