"""The media-picker grid both apps use: scanned media newest first, 3 columns, scrollable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .nodes import CHECKABLE, CHECKBOX, CHECKED, FRAME, RECYCLER, SELECTED, TEXT, Bounds, Node
from .render import TINT, WHITE
from .state import Media

if TYPE_CHECKING:
    from .base import App, Ctx


class Picker(Protocol):
    selected: list[str]
    offset: int

    def toggle(self, app: App, media: Media) -> None: ...


def pick_screen_nodes(
    c: Ctx,
    screen: Picker,
    app: App,
    bounds: Bounds,
    grid_id: str,
    item_id: str,
    select_id: str,
    *,
    kind: str = "all",
    circles: bool = True,
) -> Node:
    """RecyclerView of the visible rows only (like a real one); swipes scroll by a page."""
    x1, y1, x2, y2 = bounds
    items = [m for m in app.phone.gallery_items() if kind == "all" or m.kind == kind]
    size = (x2 - x1) // 3
    rows = max(1, (y2 - y1) // size)
    last = max(0, (len(items) + 2) // 3 - rows)
    screen.offset = min(max(0, screen.offset), last)

    def scroll(direction: str) -> None:
        step = max(1, rows - 1)
        screen.offset += step if direction == "up" else -step if direction == "down" else 0

    kids = []
    first = screen.offset * 3
    for i, media in enumerate(items[first : first + rows * 3]):
        b = (
            x1 + (i % 3) * size,
            y1 + (i // 3) * size,
            x1 + (i % 3 + 1) * size - c.x(6),
            y1 + (i // 3 + 1) * size - c.x(6),
        )
        kids.append(_cell(c, screen, app, media, first + i + 1, b, item_id, select_id, circles))
    if not items:
        kids.append(
            Node(
                TEXT,
                (x1, y1 + c.x(200), x2, y1 + c.x(300)),
                rid=c.id("gallery_empty"),
                text=c.t("no_media"),
            )
        )
    return Node(RECYCLER, bounds, kids, rid=c.id(grid_id), on_scroll=scroll)


def _cell(
    c: Ctx,
    screen: Picker,
    app: App,
    media: Media,
    pos: int,
    b: Bounds,
    item_id: str,
    select_id: str,
    circles: bool,
) -> Node:
    def toggle() -> None:
        screen.toggle(app, media)

    number = screen.selected.index(media.path) + 1 if media.path in screen.selected else 0
    desc = c.t("video_n" if media.kind == "video" else "photo_n", n=pos)
    kids = []
    if circles:
        size = c.x(80)
        box = (b[2] - size - c.x(10), b[1] + c.x(10), b[2] - c.x(10), b[1] + size + c.x(10))
        circle = Node(
            CHECKBOX,
            box,
            rid=c.id(select_id),
            text=str(number) if number else "",
            flags=CHECKABLE | (CHECKED if number else 0),
            on_tap=toggle,
            fill=WHITE,
        )
        kids.append(circle)
    cell = Node(
        FRAME,
        b,
        kids,
        rid=c.id(item_id),
        desc=desc,
        on_tap=toggle,
        fill=TINT + int(media.sha256[:2], 16) % 4,
    )
    cell.flags |= SELECTED if number else 0
    return cell
