"""What every script gets to work with: the phone, the app's selectors, the step log.

A script is a function ``run(ctx: ScriptContext) -> str`` returning its remark. It talks to
the phone only through ``ctx`` (which talks only to ``devices.adb``), finds screen elements by
the names in the app's selector file (``tasks/scripts/selectors/<app>.json``), and reports each
step. ``ctx`` handles the rest: pop-ups, pacing, stop requests, typing any text safely, and
the evidence (screenshot + UI hierarchy) when something goes wrong.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone

from core import farm_settings
from core.audit import record
from devices import adb
from devices.models import DEFAULT_PACKAGES, Device, Platform

log = logging.getLogger("tasks.scripts")

SELECTORS_DIR = Path(__file__).with_name("selectors")


class ScriptFailure(Exception):
    """The script cannot go on; the message is the remark a farm operator reads."""


class Cancelled(Exception):
    """The task was stopped (or reaped) while running."""


@lru_cache(maxsize=8)
def load_selectors(platform: str) -> dict:
    return json.loads((SELECTORS_DIR / f"{platform}.json").read_text(encoding="utf-8"))


def iter_nodes(root) -> Iterator:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


# Selector files use uiautomator's attribute names; nodes use Python names.
_ATTRIBUTES = {"resource-id": "resource_id", "content-desc": "content_desc", "class": "class_name"}


def matches(node, rule: dict) -> bool:
    """A selector rule is attribute → expected value; ``*_contains`` keys match substrings."""
    for key, expected in rule.items():
        name = key.removesuffix("_contains")
        attribute = _ATTRIBUTES.get(name, name)
        actual = getattr(node, attribute, None) or ""
        if key.endswith("_contains"):
            if expected.lower() not in actual.lower():
                return False
        elif actual != expected:
            return False
    return True


def find_in(root, rules: list[dict]):
    """The first node matching any rule, trying rules in order (resource-id, then fallbacks)."""
    for rule in rules:
        for node in iter_nodes(root):
            if matches(node, rule):
                return node
    return None


class ScriptContext:
    def __init__(self, task, *, cancelled: threading.Event | None = None, phone=None):
        self.task = task
        self.cancelled = cancelled or threading.Event()
        self._phone = phone
        self._cleanups: list[Callable[[], None]] = []
        self.last_selector = ""
        self.config = task.script_config or {}
        self.claimed_captions: list[str] = []
        self._keyboard: bool | None = None  # type through the keyboard app (else paste)?

    # --- who and where -------------------------------------------------------------------

    @property
    def phone(self) -> adb.PhoneLink:
        if self._phone is None:
            self._phone = adb.open_device(self.task.serial)
        return self._phone

    @property
    def platform(self) -> str:
        if self.task.account_id:
            return self.task.account.platform
        return self.config.get("platform") or Platform.TIKTOK

    @property
    def package(self) -> str:
        if self.task.account_id:
            return self.task.account.app_package
        return self.config.get("packagename") or DEFAULT_PACKAGES[self.platform]

    @property
    def selectors(self) -> dict:
        return load_selectors(self.platform)

    # --- progress, pacing, stopping ------------------------------------------------------

    def step(self, name: str, progress: int | None = None, message: str = "") -> None:
        self.check_cancel()
        self.task.log(name, message, progress=progress)

    def check_cancel(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled()

    def pause(self, low: float = 0.3, high: float = 0.8) -> None:
        """A short human-like wait that still reacts to a stop request at once."""
        if self.cancelled.wait(random.uniform(low, high)):
            raise Cancelled()

    # --- the screen ----------------------------------------------------------------------

    def screen(self):
        """The current UI tree, after dismissing any known pop-up in the way."""
        for _ in range(3):
            root = self.phone.dump_ui()
            if not self._dismiss_popup(root):
                return root
        return root

    def _dismiss_popup(self, root) -> bool:
        for popup in self.selectors.get("popups", []):
            if find_in(root, popup["match"]) is None:
                continue
            button = find_in(root, popup["dismiss"])
            if button is not None:
                self.task.log(self.task.step, f"dismissed pop-up: {popup['name']}")
                self.phone.tap(*button.centre)
                self.pause(0.3, 0.6)
                return True
        return False

    def rules(self, name: str) -> list[dict]:
        try:
            return self.selectors["elements"][name]
        except KeyError:
            raise ScriptFailure(f"selector {name!r} is missing from {self.platform}.json") from None

    def find(self, name: str, *, timeout: float = 10.0, required: bool = True):
        """Wait up to ``timeout`` s for the element called ``name`` (see the selector file)."""
        self.last_selector = name
        rules = self.rules(name)
        started = time.monotonic()
        while True:
            self.check_cancel()
            node = find_in(self.screen(), rules)
            if node is not None or time.monotonic() - started >= timeout:
                break
            self.pause(0.4, 0.7)
        if node is None and required:
            # The time it really took (a slow phone makes each look take seconds).
            waited = time.monotonic() - started
            raise ScriptFailure(
                f"the {self.app_name} screen never showed '{name}' (looked for {waited:.0f}s) "
                "(the app may have changed, or a screen is in the way)"
            )
        return node

    def find_any(self, names: list[str], *, timeout: float = 10.0) -> str:
        """Wait until one of several elements shows (e.g. "posted" or "failed"); its name."""
        self.last_selector = " or ".join(names)
        started = time.monotonic()
        while True:
            self.check_cancel()
            root = self.screen()
            for name in names:
                if find_in(root, self.rules(name)) is not None:
                    return name
            waited = time.monotonic() - started
            if waited >= timeout:
                raise ScriptFailure(
                    f"the {self.app_name} app showed none of {', '.join(names)} "
                    f"(looked for {waited:.0f}s)"
                )
            self.pause(0.5, 0.9)

    def exists(self, name: str, timeout: float = 0.0) -> bool:
        return self.find(name, timeout=timeout, required=False) is not None

    def tap(self, name: str, *, timeout: float = 10.0) -> None:
        node = self.find(name, timeout=timeout)
        self.phone.tap(*node.centre)
        self.pause()

    @property
    def app_name(self) -> str:
        return Platform(self.platform).label

    # --- typing --------------------------------------------------------------------------

    def type_text(self, text: str, field: str = "the text field") -> None:
        """Put ``text`` into the focused field exactly as given (accents, emoji, line breaks),
        then read the field back: an app that kept something else (a length limit, a field
        that lost the focus) fails the step instead of posting mangled text.

        The text goes through uiautomator2's keyboard app, installed on first need while the
        owner's setting allows it, else it is pasted from the clipboard (``devices.adb``).
        """
        self.phone.type_text(text, keyboard=self._use_keyboard())
        shown = self.phone.focused_text() or ""
        if shown == text:
            return
        if shown and text.startswith(shown):
            raise ScriptFailure(
                f"{field} kept only {len(shown)} of the {len(text)} characters typed "
                f"(the {self.app_name} app limits its length); shorten the text"
            )
        raise ScriptFailure(
            f"{field} shows “{shown[:60]}” instead of the text typed "
            "(did the field lose the focus?)"
        )

    def _use_keyboard(self) -> bool:
        """Whether to type through the keyboard app: the owner's setting, and the app on the
        phone (installed now if missing; that is recorded in the audit log)."""
        if self._keyboard is None:
            self._keyboard = bool(farm_settings.get("phone_keyboard_install"))
            if self._keyboard and not self.phone.keyboard_installed():
                self.task.log(self.task.step, f"installing the keyboard app {adb.KEYBOARD_PACKAGE}")
                self.phone.install_keyboard()
                record(
                    "device.keyboard_install",
                    actor=f"task {self.task.pk}",
                    object_type="device",
                    object_id=self.task.serial,
                    detail={"package": adb.KEYBOARD_PACKAGE, "task": self.task.pk},
                )
        return self._keyboard

    def as_shown(self, text: str) -> str:
        """``text`` as it reads in a screen dump (the server writes an emoji as "..")."""
        return adb.as_dumped(text)

    # --- the app -------------------------------------------------------------------------

    def start_automation(self) -> None:
        """Start (or find running) the phone's uiautomator2 server, and note on the phone's
        row that it works; a phone where it cannot run fails the task with the reason."""
        self.phone.start_automation()
        Device.objects.filter(serial=self.task.serial).note_automation()

    def open_app(self, *, cold: bool = True) -> None:
        """Check the app is installed, record its version, (re)start it, check its language.
        ``cold=False`` brings it to the front as it is (an upload in progress goes on)."""
        self.start_automation()
        versions = self.phone.packages()
        if self.package not in versions:
            raise ScriptFailure(f"{self.app_name} ({self.package}) is not installed on this phone")
        self.task.record(app_version=versions[self.package] or "")
        # A cold start gives every task the same first screen, whatever the last task left open.
        if cold:
            self.phone.app_stop(self.package)
        self.phone.app_start(self.package)
        self.pause(0.8, 1.2)
        if cold:  # a warm app may show a screen without the usual words (an upload's)
            self.check_language()

    def check_language(self) -> None:
        markers = self.selectors.get("english_markers", [])
        if not markers:
            return
        texts = set()
        for _ in range(10):
            # The app's own window only: the system bars speak the phone's language.
            nodes = [n for n in iter_nodes(self.screen()) if n.package == self.package]
            texts = {n.text for n in nodes} | {n.content_desc for n in nodes}
            if any(marker in texts for marker in markers):
                return
            self.pause(0.4, 0.6)
        # Show the operator a few words of the app's language (labels, not counts or captions).
        words = sorted((t for t in texts if t and t.replace(" ", "").isalpha()), key=len)
        sample = ", ".join(words[:5])
        raise ScriptFailure(
            f"the {self.app_name} app is not in English (the screen shows: {sample}); "
            "switch the app's language to English and retry"
        )

    # --- doing things once ----------------------------------------------------------------

    def commit(self, kind: str, **details) -> None:
        """Call just before the tap that does what must happen once (publish, send): the
        action is written down on the task first, so that if this run never sees it confirmed
        (the phone lost, the worker killed) the next run checks the app instead of doing it
        again. Cancelled (no tap) if a person stopped the task meanwhile."""
        self.check_cancel()
        if not self.task.commit_effect({"kind": kind, **details}):
            raise Cancelled()

    # --- endings -------------------------------------------------------------------------

    def on_cleanup(self, action: Callable[[], None]) -> None:
        self._cleanups.append(action)

    def cleanup(self) -> None:
        """Undo what the script left on the phone (pushed files…); runs once, before the
        task's outcome is recorded, so a finished task has nothing left behind."""
        actions, self._cleanups = self._cleanups, []
        for action in reversed(actions):
            try:
                action()
            except Exception:
                log.warning("cleanup of task %s failed", self.task.pk, exc_info=True)

    def save_evidence(self) -> None:
        """Keep a screenshot and the UI hierarchy of the moment the task failed. With the
        automation server down, the screenshot comes from adb alone and there is no hierarchy."""
        try:
            png, xml = self._evidence()
        except adb.DeviceError as exc:
            self.task.log("evidence", f"no screenshot: {exc}", level="warning")
            return
        except Exception:
            log.warning("evidence for task %s failed", self.task.pk, exc_info=True)
            return
        stamp = timezone.now().strftime("%H%M%S")
        self.task.failure_screenshot.save(
            f"task-{self.task.pk}-{stamp}.png", ContentFile(png), save=False
        )
        self.task.record(
            failure_screenshot=self.task.failure_screenshot.name, failure_hierarchy=xml
        )
        if self.last_selector:
            self.task.log("evidence", f"last element looked for: '{self.last_selector}'")

    def _evidence(self) -> tuple[bytes, str]:
        try:
            png = self.phone.screenshot()
        except adb.AutomationUnavailable:
            png = self.phone.screenshot_png()  # the server is down: adb's screencap still works
        try:
            xml = self.phone.ui_xml()
        except adb.DeviceError as exc:
            self.task.log("evidence", f"no UI hierarchy: {exc.reason}", level="warning")
            xml = ""
        return png, xml

    def explain(self, exc: Exception) -> str:
        """A failure reason in words a farm operator understands."""
        if isinstance(exc, adb.AutomationUnavailable):
            Device.objects.filter(serial=self.task.serial).note_automation(exc.reason)
        if isinstance(exc, adb.DeviceError):
            return f"phone problem: {exc}"
        return f"internal error ({exc.__class__.__name__}: {exc}); see the server log"
