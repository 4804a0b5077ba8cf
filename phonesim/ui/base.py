"""What both simulated apps share: build context, screens, the back stack, pop-ups, uploads and
the widgets (bars, sheets, dialogs, text fields) their screens are made of."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from . import content
from .nodes import (
    BUTTON,
    EDIT,
    FOCUSED,
    FRAME,
    IMAGE,
    LINEAR,
    MODAL,
    SELECTED,
    TEXT,
    Action,
    Bounds,
    Node,
    prune,
)
from .render import BLACK, BLUE, DARK, LIGHT, SCRIM, WHITE
from .state import AppData, Comment, Follow, Media, Post, Reaction, Watch

if TYPE_CHECKING:
    from .phone import PhoneUI

PERMISSION_PKG = "com.google.android.permissioncontroller"
PERMISSION_ACTIVITY = "com.android.permissioncontroller.permission.ui.GrantPermissionsActivity"
PERMISSION_RES = "com.android.permissioncontroller"  # ids keep the AOSP prefix on Google builds


class Ctx:
    """Per-build helpers. Layouts are designed for a 1080-px-wide screen and scaled by width;
    vertical positions hang off the content area between status bar and navigation bar."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.phone = app.phone
        self.w, self.h = app.phone.screen
        self.top = app.phone.status_h
        self.bottom = self.h - app.phone.nav_h
        self.s = self.w / 1080

    def x(self, v: float) -> int:
        return round(v * self.s)

    def id(self, name: str) -> str:
        if not name or ":id/" in name:
            return name
        return f"{self.app.res}:id/{name}"

    def t(self, key: str, **kw: object) -> str:
        return self.phone.t(key, **kw)

    def n(self, cls: str, b: Bounds, *kids: Node, id: str = "", **kw) -> Node:
        return Node(cls, b, list(kids), rid=self.id(id), **kw)

    def tv(self, b: Bounds, text: str, id: str = "", **kw) -> Node:
        return Node(TEXT, b, rid=self.id(id), text=text, **kw)

    def icon(self, b: Bounds, desc: str, id: str, tap: Action | None, selected: bool = False):
        flags = SELECTED if selected else 0
        return Node(IMAGE, b, rid=self.id(id), desc=desc, on_tap=tap, flags=flags, fill=-2)

    def button(self, b: Bounds, text: str, id: str, tap: Action | None, fill: int = BLUE):
        return Node(BUTTON, b, rid=self.id(id), text=text, on_tap=tap, fill=fill)

    def edit(self, screen: Screen, name: str, b: Bounds, hint: str) -> Node:
        """An EditText bound to screen.fields[name]. Like Android's accessibility text, an empty
        field reports its hint as text."""
        value = screen.fields.get(name, "")

        def focus() -> None:
            screen.focus = name

        flags = FOCUSED if screen.focus == name else 0
        return Node(
            EDIT,
            b,
            rid=self.id(name),
            text=value or hint,
            flags=flags,
            on_tap=focus,
            fill=-3,
            hint=hint,
        )

    def screen_root(self, *kids: Node, fill: int = WHITE, id: str = "") -> Node:
        return Node(
            FRAME, (0, self.top, self.w, self.bottom), list(kids), rid=self.id(id), fill=fill
        )

    def topbar(
        self,
        title: str,
        back: Action | None,
        *,
        title_id: str,
        back_id: str,
        right: Node | None = None,
        fill: int = WHITE,
    ) -> Node:
        y1, y2 = self.top, self.top + self.x(132)
        kids = []
        if back is not None:
            kids.append(self.icon((0, y1, self.x(132), y2), self.t("back"), back_id, back))
        kids.append(self.tv((self.x(150), y1, self.x(800), y2), title, title_id))
        if right is not None:
            kids.append(right)
        return Node(FRAME, (0, y1, self.w, y2), kids, fill=fill)

    def nav(self, items: list[tuple[str, str, bool, Action]], dark: bool, id: str) -> Node:
        """Bottom tab bar; items are (id, label, selected, action). Label is both text and
        content-desc, as both apps expose it."""
        y1, y2 = self.bottom - self.x(150), self.bottom
        step = self.w // len(items)
        kids = []
        for i, (rid, label, selected, action) in enumerate(items):
            b = (i * step, y1, (i + 1) * step if i < len(items) - 1 else self.w, y2)
            kid = Node(FRAME, b, rid=self.id(rid), text=label, desc=label, on_tap=action)
            kid.flags |= SELECTED if selected else 0
            kids.append(kid)
        return Node(
            LINEAR, (0, y1, self.w, y2), kids, rid=self.id(id), fill=BLACK if dark else WHITE
        )

    def sheet(
        self,
        kids: list[Node],
        top: int,
        outside: Action,
        *,
        dark: bool = False,
        outside_id: str = "touch_outside",
        sheet_id: str = "design_bottom_sheet",
    ) -> Node:
        """A modal bottom sheet from y=top to the bottom; taps above it dismiss it."""
        scrim = Node(FRAME, (0, self.top, self.w, top), rid=self.id(outside_id), on_tap=outside)
        body = Node(FRAME, (0, top, self.w, self.bottom), kids, rid=self.id(sheet_id))
        body.fill = DARK if dark else WHITE
        overlay = Node(FRAME, (0, self.top, self.w, self.bottom), [scrim, body], flags=MODAL)
        overlay.fill = SCRIM
        return overlay

    def dialog(
        self,
        title: str,
        message: str,
        buttons: list[tuple[str, str, Action]],
        *,
        ids: tuple[str, str, str],
    ) -> Node:
        """Centred modal dialog; ids = (container, title, message); buttons stacked."""
        bh = self.x(140)
        height = self.x(360) + bh * len(buttons)
        y1 = (self.top + self.bottom - height) // 2
        x1, x2 = self.x(80), self.w - self.x(80)
        kids = [
            self.tv(
                (x1 + self.x(40), y1 + self.x(60), x2 - self.x(40), y1 + self.x(160)), title, ids[1]
            ),
            self.tv(
                (x1 + self.x(40), y1 + self.x(170), x2 - self.x(40), y1 + self.x(320)),
                message,
                ids[2],
            ),
        ]
        y = y1 + self.x(360)
        for rid, text, action in buttons:
            kids.append(self.button((x1, y, x2, y + bh), text, rid, action, fill=LIGHT))
            y += bh
        box = Node(LINEAR, (x1, y1, x2, y1 + height), kids, rid=self.id(ids[0]), fill=WHITE)
        overlay = Node(FRAME, (0, self.top, self.w, self.bottom), [box], flags=MODAL, fill=SCRIM)
        return overlay


class Screen:
    """One entry of an app's back stack. `sheet` screens draw over the screen below them."""

    activity = ""
    sheet = False
    posting = False  # the upload-progress screen, replaced by "done" when the upload ends

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.focus: str | None = None

    def build(self, c: Ctx) -> Node:
        raise NotImplementedError

    def back(self, app: App) -> bool:
        """Handle BACK; False lets the app pop this screen."""
        if self.focus is not None and not self.sheet:
            self.focus = None  # first BACK hides the keyboard, as on a phone
            return True
        return False

    def enter(self, app: App) -> None:
        """ENTER / IME action on the focused field."""

    def changed(self, app: App) -> None:
        """The focused field's text changed."""

    def playing(self) -> content.Item | None:
        """The feed item on screen, for watch-time accounting."""
        return None


@dataclass
class Upload:
    media: list[Media]
    caption: str
    kind: str
    placement: str
    account: str
    steps: int
    started: float = 0.0  # PhoneUI.clock when Post was tapped
    ticks: int = 0

    @property
    def percent(self) -> int:
        return min(99, self.ticks * 100 // max(1, self.steps))


class Popup:
    """A dialog over the app. System permission prompts are their own window (another package
    and activity in the dump and in current_focus); in-app ones sit inside the app's window."""

    def __init__(
        self,
        kind: str,
        title: str,
        message: str,
        buttons: list[tuple[str, str, Action]],
        *,
        system: bool,
        ids: tuple[str, str, str],
    ) -> None:
        self.kind = kind
        self.title = title
        self.message = message
        self.buttons = buttons
        self.system = system
        self.ids = ids

    def build(self, c: Ctx) -> Node:
        return c.dialog(self.title, self.message, self.buttons, ids=self.ids)


@dataclass
class Watching:
    item: content.Item
    account: str
    since: float


class App:
    """A running app: back stack, pop-up, upload in flight. Storage lives in self.data and
    survives force-stop; everything else is lost with the process."""

    platform = ""
    res = ""  # resource-id prefix (clones keep the original app's resources)
    main_activity = ""

    def __init__(self, phone: PhoneUI, package: str) -> None:
        self.phone = phone
        self.package = package
        self.data: AppData = phone.app_data(package)
        self.stack: list[Screen] = []
        self.popup: Popup | None = None
        self.upload: Upload | None = None
        self.watching: Watching | None = None

    # -- to override ------------------------------------------------------------------------
    def home(self) -> Screen:
        raise NotImplementedError

    def logged_out(self) -> Screen:
        raise NotImplementedError

    def open_url(self, url: str) -> bool:
        raise NotImplementedError

    def popup_kinds(self, trigger: str) -> list[str]:
        return []

    def make_popup(self, kind: str) -> Popup | None:
        return None

    def posting_screen(self) -> Screen:
        raise NotImplementedError

    def done_screen(self, post: Post, failed: bool) -> Screen:
        raise NotImplementedError

    def post_url(self, post_id: str, kind: str) -> str:
        raise NotImplementedError

    # -- stack ------------------------------------------------------------------------------
    @property
    def account(self) -> str:
        return self.data.current

    @property
    def top(self) -> Screen:
        return self.stack[-1]

    def push(self, screen: Screen) -> None:
        self.stack.append(screen)

    def pop(self) -> None:
        if len(self.stack) > 1:
            self.stack.pop()
        else:
            self.phone.to_background(self)

    def reset(self, screen: Screen | None = None) -> None:
        self.stack = [screen or self.root_screen()]

    def root_screen(self) -> Screen:
        return self.home() if self.data.current else self.logged_out()

    def launch(self) -> None:
        if not self.stack:
            self.reset()
        self.maybe_popup("start")

    def activity(self) -> str:
        for screen in reversed(self.stack):
            if not screen.sheet:
                return screen.activity or self.main_activity
        return self.main_activity

    def focus(self) -> tuple[str, str]:
        if self.popup is not None and self.popup.system:
            return PERMISSION_PKG, PERMISSION_ACTIVITY
        return self.package, self.activity()

    # -- input ------------------------------------------------------------------------------
    def back(self) -> None:
        if self.popup is not None:
            self.popup = None  # dialogs are cancelable with BACK
        elif not self.top.back(self):
            self.pop()

    def type_text(self, text: str) -> None:
        screen = self.top
        if self.popup is None and screen.focus is not None:
            current = screen.fields.get(screen.focus, "")
            limit = self.phone.faults.max_length.get(screen.focus)
            if limit is not None:
                text = _length_filter(text, limit - _utf16_len(current))
            screen.fields[screen.focus] = current + text
            screen.changed(self)

    def delete_char(self) -> None:
        screen = self.top
        if self.popup is None and screen.focus is not None:
            screen.fields[screen.focus] = screen.fields.get(screen.focus, "")[:-1]
            screen.changed(self)

    def clear_text(self) -> None:
        screen = self.top
        if self.popup is None and screen.focus is not None:
            screen.fields[screen.focus] = ""
            screen.changed(self)

    def enter(self) -> None:
        if self.popup is None and self.top.focus is not None:
            self.top.enter(self)

    # -- building ---------------------------------------------------------------------------
    def build(self) -> tuple[str, Node]:
        """(package, root) of the window uiautomator would dump."""
        c = Ctx(self)
        hidden = self.phone.faults.hidden()
        if self.popup is not None and self.popup.system:
            root = Node(FRAME, (0, 0, c.w, c.h), [self.popup.build(c)])
            return PERMISSION_PKG, prune(root, hidden)
        first = max(i for i, s in enumerate(self.stack) if not s.sheet or i == 0)
        kids = [screen.build(c) for screen in self.stack[first:]]
        if self.popup is not None:
            kids.append(self.popup.build(c))
        body = Node(FRAME, (0, 0, c.w, c.h), kids, rid="android:id/content")
        root = Node(FRAME, (0, 0, c.w, c.h), [Node(LINEAR, (0, 0, c.w, c.h), [body])])
        return self.package, prune(root, hidden)

    # -- pop-ups ----------------------------------------------------------------------------
    def maybe_popup(self, trigger: str) -> None:
        if self.popup is not None:
            return
        faults, kinds = self.phone.faults, self.popup_kinds(trigger)
        if faults.force_popup and faults.force_popup in kinds:
            kind, faults.force_popup = faults.force_popup, None
        elif faults.popups and kinds and self.phone.rng.random() < faults.popup_probability:
            kinds = [k for k in kinds if k not in self.data.prompted] or kinds
            kind = self.phone.rng.choice(kinds)
        else:
            return
        self.popup = self.make_popup(kind)

    def answer(self, kind: str) -> Action:
        def close() -> None:
            self.data.prompted.add(kind)
            self.popup = None

        return close

    def system_popup(self, kind: str, message: str) -> Popup:
        close = self.answer(kind)
        buttons = [
            (f"{PERMISSION_RES}:id/permission_allow_button", self.phone.t("allow"), close),
            (f"{PERMISSION_RES}:id/permission_deny_button", self.phone.t("dont_allow"), close),
        ]
        ids = (
            f"{PERMISSION_RES}:id/grant_dialog",
            f"{PERMISSION_RES}:id/permission_message",
            f"{PERMISSION_RES}:id/permission_hint",
        )
        return Popup(kind, message, "", buttons, system=True, ids=ids)

    # -- social state -----------------------------------------------------------------------
    def following(self, target: str) -> bool:
        follows = self.data.mine(self.data.following)
        seeded = self.data.mine(self.data.seeded)
        if target in self.phone.faults.already_following and target not in seeded:
            seeded.add(target)  # applied once, so a later unfollow sticks
            follows.add(target)
        return target in follows

    def set_follow(self, target: str, on: bool) -> None:
        if self.following(target) == on or target == self.account:
            return
        follows = self.data.mine(self.data.following)
        record = Follow(self.platform, self.account, target)
        if on:
            follows.add(target)
            self.phone.outcomes.follows.append(record)
        else:
            follows.discard(target)
            self.phone.outcomes.unfollows.append(record)

    def toggle_reaction(self, item: content.Item, collect: bool = False) -> None:
        table = self.data.collected if collect else self.data.liked
        log = self.phone.outcomes.collects if collect else self.phone.outcomes.likes
        mine = self.data.mine(table)
        if item.id in mine:
            mine.discard(item.id)
            log[:] = [r for r in log if (r.account, r.post_id) != (self.account, item.id)]
        else:
            mine.add(item.id)
            log.append(Reaction(self.platform, self.account, item.id, item.author))

    def reacted(self, item: content.Item, collect: bool = False) -> bool:
        return item.id in self.data.mine(self.data.collected if collect else self.data.liked)

    def switch_account(self, name: str) -> None:
        if name in self.data.accounts:
            self.data.current = name

    # -- uploads ----------------------------------------------------------------------------
    def start_upload(self, media: list[Media], caption: str, placement: str) -> None:
        kind = "video" if any(m.kind == "video" for m in media) else "images"
        steps = max(1, self.phone.faults.upload_steps)
        started = self.phone.clock()
        self.upload = Upload(media, caption, kind, placement, self.account, steps, started)
        self.reset(self.home())
        self.push(self.posting_screen())

    def tick(self) -> None:
        upload = self.upload
        if upload is None:
            return
        upload.ticks += 1
        if upload.ticks < upload.steps:
            return
        if self.phone.clock() - upload.started < self.phone.faults.upload_seconds:
            return
        self.upload = None
        failed = self.phone.faults.upload_fails
        post = self.make_post(upload, failed)
        if self.stack and self.top.posting:
            self.stack[-1] = self.done_screen(post, failed)

    def make_post(self, upload: Upload, failed: bool) -> Post:
        outcomes = self.phone.outcomes
        mine = self.data.posts.setdefault(upload.account, [])
        post_id = self.new_post_id(len(outcomes.posts) + len(outcomes.failed_posts))
        post = Post(
            platform=self.platform,
            package=self.package,
            account=upload.account,
            media=[m.sha256 for m in upload.media],
            paths=[m.path for m in upload.media],
            caption=upload.caption,
            kind=upload.kind,
            placement=upload.placement,
            post_id=post_id,
            url=self.post_url(post_id, upload.placement),
        )
        if failed:
            outcomes.failed_posts.append(post)
        else:
            outcomes.posts.append(post)
            mine.insert(0, post_id)
        return post

    def new_post_id(self, n: int) -> str:
        raise NotImplementedError

    def own_item(self, post_id: str) -> content.Item:
        """One of the account's own posts as its page shows it: with the caption it was posted
        with (a profile's grid opens these; the rest is generated, like every item). What the
        platform holds is what the phone recorded (``outcomes``), so it survives a force-stop."""
        item = content.item(self.platform, post_id, self.account)
        for post in self.phone.outcomes.posts:
            if post.post_id == post_id and post.platform == self.platform:
                return replace(item, caption=post.caption)
        return item

    def comments_on(self, item: content.Item) -> list[Comment]:
        """Comments made from this phone on ``item``, newest first (a sheet lists them on top,
        however often it is opened)."""
        made = self.phone.outcomes.comments
        return [c for c in reversed(made) if c.post_id == item.id and c.platform == self.platform]

    # -- watch time -------------------------------------------------------------------------
    def playing(self) -> content.Item | None:
        if self.popup is not None and self.popup.system or not self.stack:
            return None
        first = max(i for i, s in enumerate(self.stack) if not s.sheet or i == 0)
        return self.stack[first].playing()

    def sync_watch(self, foreground: bool) -> None:
        now_item = self.playing() if foreground else None
        current = self.watching
        if current is not None and (now_item is None or now_item.id != current.item.id):
            seconds = max(0.0, self.phone.clock() - current.since)
            item = current.item
            self.phone.outcomes.watched.append(
                Watch(self.platform, current.account, item.id, item.author, item.kind, seconds)
            )
            self.watching = None
        if now_item is not None and self.watching is None:
            self.watching = Watching(now_item, self.account, self.phone.clock())


def gallery_cell(c: Ctx, i: int, x0: int, y0: int, size: int) -> Bounds:
    """Bounds of cell i in a 3-column grid, with a 6-px gutter so cells never overlap."""
    col, row = i % 3, i // 3
    gap = c.x(6)
    x1 = x0 + col * size
    return (x1, y0 + row * size, x1 + size - gap, y0 + (row + 1) * size - gap)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _length_filter(text: str, room: int) -> str:
    """What InputFilter.LengthFilter lets through: at most ``room`` UTF-16 units, never half
    of a surrogate pair (an emoji is two units)."""
    kept, used = [], 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > room:
            break
        kept.append(ch)
        used += size
    return "".join(kept)
