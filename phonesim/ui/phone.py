"""PhoneUI: the screen side of one simulated phone, called by the simulator's shell."""

from __future__ import annotations

import functools
import hashlib
import random
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from . import render, strings
from .base import App
from .instagram import Instagram
from .launcher import LAUNCHER_ACTIVITY, LAUNCHER_PKG, Launcher, SystemApp
from .nodes import CLICKABLE, DISABLED, LONG_CLICKABLE, SCROLLABLE, Node, hit_test, to_xml
from .state import AppData, Faults, Media, Outcomes, Tap
from .system import SYSTEMUI, navigation_bar, status_bar
from .tiktok import TikTok
from .u2dump import to_u2_xml

TIKTOK = "com.zhiliaoapp.musically"
INSTAGRAM = "com.instagram.android"
FAMILIES = {TIKTOK: "tiktok", "com.ss.android.ugc.trill": "tiktok", INSTAGRAM: "instagram"}
DEFAULT_INSTALLED = {
    TIKTOK: "40.1.4",
    INSTAGRAM: "385.0.0.47.74",
    "com.android.settings": "15",
    "com.android.chrome": "131.0.6778.135",
    "com.google.android.apps.photos": "7.10.0.705888412",
    "com.android.vending": "44.2.19-31",
    LAUNCHER_PKG: "15",
}
VIDEO_EXT = {"mp4", "mov", "m4v", "3gp", "webm", "mkv"}
IMAGE_EXT = {"jpg", "jpeg", "png", "webp", "gif", "heic", "bmp"}
KEYCODES = {
    "HOME": 3,
    "BACK": 4,
    "ENTER": 66,
    "DEL": 67,
    "SPACE": 62,
    "TAB": 61,
    "FORWARD_DEL": 112,
    "APP_SWITCH": 187,
    "MENU": 82,
    "ESCAPE": 111,
    "POWER": 26,
    "SLEEP": 223,
    "WAKEUP": 224,
}


class FS(Protocol):
    def read(self, path: str) -> bytes: ...
    def exists(self, path: str) -> bool: ...
    def listdir(self, path: str) -> list[str]: ...
    def stat(self, path: str) -> tuple[int, int, int] | None: ...  # (mode, size, mtime)


def _locked(method: Callable) -> Callable:
    """The shell may serve several adb streams of one phone at once; one lock per phone keeps
    each UI operation atomic."""

    @functools.wraps(method)
    def wrapper(self: PhoneUI, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


def _norm_path(path: str) -> str:
    path = path.removeprefix("file://")
    for prefix in ("/storage/emulated/0/", "/storage/self/primary/", "/mnt/sdcard/"):
        if path.startswith(prefix):
            return "/sdcard/" + path[len(prefix) :]
    return path


class PhoneUI:
    """Screens, input and outcomes of one simulated phone. Pure Python, deterministic by seed."""

    def __init__(
        self,
        fs: FS,
        *,
        screen: tuple[int, int] = (1080, 2400),
        installed: dict[str, str] | None = None,
        locale: str = "en-US",
        seed: int = 0,
    ) -> None:
        self.fs = fs
        self.screen = (int(screen[0]), int(screen[1]))
        self.installed_packages: dict[str, str] = dict(
            DEFAULT_INSTALLED if installed is None else installed
        )
        self.locale = locale
        self.seed = seed
        self.rng = random.Random(seed)
        self.faults = Faults()
        self.outcomes = Outcomes()
        self.clock: Callable[[], float] = time.monotonic  # tests may swap in a fake clock
        self.clones: dict[str, str] = {}  # clone package -> "tiktok" | "instagram"
        self.status_h = round(self.screen[1] * 0.035)
        self.nav_h = round(self.screen[1] * 0.055)
        self._lock = threading.RLock()
        self._data: dict[str, AppData] = {}
        self._running: dict[str, App] = {}
        self._fg: str | None = None
        self._launcher = Launcher(self, LAUNCHER_PKG)
        self._launcher.reset()
        self._media: dict[str, Media] = {}
        self._media_seq = 0

    # -- helpers used by the apps ---------------------------------------------------------------
    @property
    def lang(self) -> str:
        return strings.lang_of(self.locale)

    def t(self, key: str, **kw: object) -> str:
        return strings.text(self.lang, key, **kw)

    def platform_of(self, package: str) -> str:
        return self.clones.get(package) or FAMILIES.get(package, "system")

    def app_data(self, package: str) -> AppData:
        data = self._data.get(package)
        if data is None:
            data = self._data[package] = AppData()
            if self.platform_of(package) in ("tiktok", "instagram"):
                from .content import username

                name = username("account", self.seed, self.platform_of(package))
                data.accounts, data.current = [name], name
        return data

    def gallery_items(self) -> list[Media]:
        """Scanned media still on disk, newest first (the pickers' order: date modified, then
        the order they were scanned in)."""
        items = [m for m in self._media.values() if self.fs.exists(m.path)]
        return sorted(items, key=lambda m: (m.modified, m.seq), reverse=True)

    def to_background(self, app: App) -> None:
        # BACK on an app's first screen moves its task to the back (Android 12+): state kept.
        if self._fg == app.package:
            self._fg = None

    def _app(self, package: str) -> App:
        app = self._running.get(package)
        if app is None:
            kind = {"tiktok": TikTok, "instagram": Instagram}.get(self.platform_of(package))
            app = (kind or SystemApp)(self, package)
            self._running[package] = app
        return app

    def _foreground(self) -> App:
        return self._running.get(self._fg or "", self._launcher)

    def _build(self) -> tuple[str, Node]:
        return self._foreground().build()

    def _tick(self) -> None:
        for app in list(self._running.values()):
            app.tick()

    def _sync(self) -> None:
        for package, app in self._running.items():
            app.sync_watch(package == self._fg)

    # -- test / fault-injection API -------------------------------------------------------------
    @_locked
    def set_accounts(self, package: str, accounts: list[str], current: str | None = None) -> None:
        """Accounts logged in to an app; [] logs it out (it shows its login screen)."""
        data = self.app_data(package)
        data.accounts = list(accounts)
        data.current = current if current in accounts else (accounts[0] if accounts else "")
        app = self._running.get(package)
        if app is not None:
            app.reset()

    def accounts(self, package: str) -> tuple[list[str], str]:
        data = self.app_data(package)
        return list(data.accounts), data.current

    @_locked
    def set_following(self, package: str, targets: list[str], account: str | None = None) -> None:
        data = self.app_data(package)
        data.following.setdefault(account or data.current, set()).update(targets)

    @_locked
    def show_popup(self, kind: str, package: str | None = None) -> bool:
        """Put pop-up `kind` over the (foreground) app now; see SCREENS.md for kinds."""
        app = self._running.get(package or self._fg or "")
        popup = app.make_popup(kind) if app is not None else None
        if popup is None:
            return False
        app.popup = popup
        return True

    @_locked
    def share_media(self, package: str, paths: list[str]) -> bool:
        """ACTION_SEND(_MULTIPLE) of files to an app (the `post_way=share` path)."""
        if package not in self.installed_packages or self.platform_of(package) == "system":
            return False
        media = [m for m in (self._media_for(_norm_path(p)) for p in paths) if m is not None]
        if not media:
            return False
        app = self._app(package)
        self._fg = package
        app.launch()
        if not app.account:
            return False
        app.shared(media)  # type: ignore[attr-defined]
        self._sync()
        return True

    # -- activity manager -----------------------------------------------------------------------
    @_locked
    def start_app(self, package: str, activity: str | None = None) -> bool:
        if package not in self.installed_packages:
            return False
        if package == LAUNCHER_PKG:
            self._fg = None
        else:
            self._fg = package
            self._app(package).launch()
        self._sync()
        return True

    @_locked
    def force_stop(self, package: str) -> None:
        app = self._running.pop(package, None)
        if app is not None:
            app.sync_watch(False)
        if self._fg == package:
            self._fg = None

    @_locked
    def open_url(self, url: str, package: str | None = None) -> None:
        target = package if package in self.installed_packages else self._handler(url)
        if target is None:
            return
        self._fg = target
        app = self._app(target)
        app.launch()
        if app.platform == "system" or app.account:  # logged out: the login screen stays
            app.open_url(url)
        self._sync()

    def _handler(self, url: str) -> str | None:
        low = url.lower()
        if "tiktok.com" in low or low.startswith("snssdk"):
            family = "tiktok"
        elif "instagram.com" in low or low.startswith("instagram://"):
            family = "instagram"
        else:
            family = "web"
        for package in self.installed_packages:
            if self.platform_of(package) == family:
                return package
        return "com.android.chrome" if "com.android.chrome" in self.installed_packages else None

    @_locked
    def current_focus(self) -> tuple[str, str] | None:
        app = self._foreground()
        if app is self._launcher:
            return LAUNCHER_PKG, LAUNCHER_ACTIVITY
        return app.focus()

    @_locked
    def tree(self) -> tuple[str, Node]:
        """(package, root node) of what dump_xml would show, without advancing uploads."""
        return self._build()

    # -- screen -----------------------------------------------------------------------------------
    @_locked
    def dump_xml(self) -> str:
        self._tick()
        package, root = self._build()
        return to_xml(root, package)

    @_locked
    def screencap_png(self) -> bytes:
        self._tick()
        _, root = self._build()
        return render.screenshot(root, self.screen, (self.status_h, self.nav_h))

    # -- input ------------------------------------------------------------------------------------
    @_locked
    def tap(self, x: int, y: int) -> None:
        self._tick()
        x, y = int(x), int(y)
        w, h = self.screen
        if y >= h - self.nav_h:
            self._nav_button(x * 3 // w)
        elif y >= self.status_h:
            package, root = self._build()
            node = hit_test(root, x, y, CLICKABLE)
            self.outcomes.taps.append(
                Tap(
                    x,
                    y,
                    package,
                    node.rid if node else "",
                    (node.text or node.desc) if node else "",
                )
            )
            if node is not None and not node.flags & DISABLED and node.on_tap is not None:
                node.on_tap()
        self._sync()

    def _nav_button(self, slot: int) -> None:
        if slot == 0:
            self._foreground().back()
        elif slot == 1:
            self._fg = None

    @_locked
    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None:
        dx, dy = int(x2) - int(x1), int(y2) - int(y1)
        if abs(dx) < 20 and abs(dy) < 20:
            if duration_ms >= 500:
                self._long_press(int(x1), int(y1))  # `input swipe x y x y 800` = long press
            else:
                self.tap(x1, y1)
            return
        self._tick()
        if int(y1) >= self.status_h and max(abs(dx), abs(dy)) >= self.screen[0] // 20:
            _, root = self._build()
            node = hit_test(root, int(x1), int(y1), SCROLLABLE)
            if node is not None and node.on_scroll is not None:
                if abs(dy) >= abs(dx):
                    node.on_scroll("up" if dy < 0 else "down")
                else:
                    node.on_scroll("left" if dx < 0 else "right")
        self._sync()

    def _long_press(self, x: int, y: int) -> None:
        self._tick()
        _, root = self._build()
        node = hit_test(root, x, y, LONG_CLICKABLE)
        if node is not None and node.on_long is not None:
            node.on_long()
        self._sync()

    @_locked
    def input_text(self, text: str) -> None:
        """`input text`: like the real command it can only type what the keyboard map has, so
        anything outside printable ASCII is dropped (use the ADB keyboard broadcast)."""
        self._tick()
        typed = "".join(ch for ch in text if " " <= ch <= "~")
        if typed and self._fg is not None:
            self._foreground().type_text(typed)

    @_locked
    def keyevent(self, code: int | str) -> None:
        self._tick()
        key = self._keycode(code)
        app = self._foreground()
        if key == 3:
            self._fg = None
        elif key == 4:
            app.back()
        elif key == 66:
            app.enter()
        elif key == 67:
            app.delete_char()
        elif key == 62:
            app.type_text(" ")
        elif 29 <= key <= 54:
            app.type_text(chr(ord("a") + key - 29))
        elif 7 <= key <= 16:
            app.type_text(str(key - 7))
        self._sync()

    @staticmethod
    def _keycode(code: int | str) -> int:
        if isinstance(code, int):
            return code
        raw = str(code).strip().upper()
        name = raw.removeprefix("KEYCODE_")
        if name.isdigit():
            # "4" is a key code; "KEYCODE_4" is the digit key 4 (code 11).
            return int(name) if name == raw else 7 + int(name) % 10
        if len(name) == 1 and name.isalpha():
            return 29 + ord(name) - ord("A")
        return KEYCODES.get(name, -1)

    # -- an input method's input connection (the keyboards in phonesim/keyboards.py) ---------------
    def _input_target(self) -> App | None:
        """The app whose focused field an IME is bound to, if any: a dialog over the app takes
        the focus away, and without a focused field there is no input connection."""
        if self._fg is None:
            return None
        app = self._foreground()
        if app.popup is not None or not app.stack or app.top.focus is None:
            return None
        return app

    def _edit(self, change: Callable[[App], None]) -> bool:
        self._tick()
        app = self._input_target()
        if app is not None:
            change(app)
            self._sync()
        return app is not None

    @_locked
    def has_input_connection(self) -> bool:
        return self._input_target() is not None

    @_locked
    def commit_text(self, text: str) -> bool:
        """InputConnection.commitText: any Unicode lands in the focused field as it is (what an
        IME broadcast or a clipboard paste does). False when no field has the input focus."""
        return self._edit(lambda app: app.type_text(text))

    @_locked
    def clear_field(self) -> bool:
        """Select-all + delete in the focused field."""
        return self._edit(lambda app: app.clear_text())

    @_locked
    def editor_action(self) -> bool:
        """The IME's action key (search / send / done …) on the focused field."""
        return self._edit(lambda app: app.enter())

    # -- what the uiautomator2 server sees ----------------------------------------------------
    @_locked
    def windows(self) -> list[tuple[str, Node]]:
        """(package, root) of every window on screen: the active one first, then the status and
        navigation bars. Each call is an observation, like a dump (uploads advance)."""
        self._tick()
        package, root = self._build()
        w, h = self.screen
        labels = (self.t("back"), self.t("home"), self.t("overview"))
        return [
            (package, root),
            (SYSTEMUI, status_bar(w, self.status_h)),
            (SYSTEMUI, navigation_bar(w, h, self.nav_h, labels)),
        ]

    @_locked
    def u2_dump_xml(self, max_depth: int = 50, active_only: bool = False) -> str:
        """The uiautomator2 server's dumpWindowHierarchy; never waits for the screen to settle."""
        windows = self.windows()
        return to_u2_xml(windows[:1] if active_only else windows, max_depth)

    @_locked
    def animating(self) -> bool:
        """A video plays in the foreground app (TikTok's feed, Reels, a video post in Instagram's
        feed): its accessibility events never stop, so `uiautomator dump` cannot get idle."""
        app = self._running.get(self._fg or "")
        item = app.playing() if app is not None else None
        return item is not None and item.kind != "photo"

    # -- media store ------------------------------------------------------------------------------
    @_locked
    def media_scan(self, path: str) -> None:
        """MediaScanner on a file (or a folder's files): new media join the gallery, missing
        files leave it."""
        path = _norm_path(path).rstrip("/")
        ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
        if ext in VIDEO_EXT or ext in IMAGE_EXT:
            self._scan_file(path)
            return
        try:
            names = sorted(self.fs.listdir(path)) if self.fs.exists(path) else []
        except OSError:  # not a folder after all
            names = []
        for name in names:
            if "." in name:
                self._scan_file(f"{path}/{name}")
        for known in [p for p in self._media if p.startswith(path + "/")]:
            if not self.fs.exists(known):
                del self._media[known]

    def _scan_file(self, path: str) -> None:
        ext = path.rsplit(".", 1)[-1].lower()
        if ext not in VIDEO_EXT and ext not in IMAGE_EXT or "/Android/" in path:
            return
        if not self.fs.exists(path):
            self._media.pop(path, None)
            return
        media = self._media_for(path)
        known = self._media.get(path)
        if media is not None and (known is None or known.sha256 != media.sha256):
            self._media_seq += 1
            media.seq = self._media_seq
            self._media[path] = media
        if media is not None:
            self._media[path].modified = self.fs.stat(path)[2]

    def _media_for(self, path: str) -> Media | None:
        ext = path.rsplit(".", 1)[-1].lower()
        if ext not in VIDEO_EXT and ext not in IMAGE_EXT or not self.fs.exists(path):
            return None
        known = self._media.get(path)
        digest = hashlib.sha256(self.fs.read(path)).hexdigest()
        if known is not None and known.sha256 == digest:
            return known
        return Media(path, digest, "video" if ext in VIDEO_EXT else "image", 0)
