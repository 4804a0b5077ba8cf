"""Input methods: which are installed, enabled and selected, and the keyboards that take text by
broadcast.

A keyboard app's broadcast receiver exists only while it is the current input method (it
registers in its InputMethodService.onCreate), so `am broadcast -a ADB_KEYBOARD_INPUT_TEXT`
reaches nobody - `Broadcast completed: result=0`, nothing typed - unless `ime set` or `settings
put secure default_input_method` selected it first (research real-app-ui.md §4.3, U2APK
`AdbKeyboard.java`).

Two keyboards are simulated:
- uiautomator2's `com.github.uiautomator/.AdbKeyboard` (from its app-uiautomator.apk): actions
  ADB_KEYBOARD_*, text as base64 in the `text` extra, answers result=-1 (RESULT_OK) with the
  handler's data; with no focused field it answers result=-1, data="<action>" and types nothing.
- senzhk's ADB Keyboard `com.android.adbkeyboard/.AdbIME` as the simulator already had it
  (ADB_INPUT_TEXT, ADB_INPUT_B64, ADB_CLEAR_TEXT, ADB_INPUT_CODE, ADB_EDITOR_CODE); it sets no
  result, so `result=0` either way. The lenient phone (strict=False) delivers to it whenever it is
  installed, as the simulator did before the honesty rules.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phonesim.intents import Intent
    from phonesim.phone import Phone

LATIN_IME = "com.google.android.inputmethod.latin/com.android.inputmethod.latin.LatinIME"
U2_KEYBOARD = "com.github.uiautomator/.AdbKeyboard"
ADB_KEYBOARD = "com.android.adbkeyboard/.AdbIME"
# IME services of packages a phone may be given without their APK (Phone(installed=…)).
KNOWN_IMES = {"com.github.uiautomator": (U2_KEYBOARD,), "com.android.adbkeyboard": (ADB_KEYBOARD,)}
U2_ACTIONS = frozenset(
    {
        "ADB_KEYBOARD_SMART_ENTER",
        "ADB_KEYBOARD_INPUT_TEXT",
        "ADB_KEYBOARD_CLEAR_TEXT",
        "ADB_KEYBOARD_SET_TEXT",
        "ADB_KEYBOARD_INPUT_KEYCODE",
        "ADB_KEYBOARD_EDITOR_CODE",
        "ADB_KEYBOARD_GET_CLIPBOARD",
        "ADB_KEYBOARD_HIDE",
        "ADB_KEYBOARD_SHOW",
    }
)
ADBK_ACTIONS = frozenset(
    {"ADB_INPUT_TEXT", "ADB_INPUT_B64", "ADB_CLEAR_TEXT", "ADB_INPUT_CODE", "ADB_EDITOR_CODE"}
)
RESULT_OK, RESULT_CANCELED = -1, 0


@dataclass(frozen=True)
class Reply:
    code: int
    data: str | None = None

    def line(self) -> str:
        """`am broadcast`'s last line."""
        data = f', data="{self.data}"' if self.data is not None else ""
        return f"Broadcast completed: result={self.code}{data}"


NOBODY = Reply(RESULT_CANCELED)


def _b64(text: str) -> str:
    """android.util.Base64.decode(DEFAULT) then new String(…, UTF_8): whitespace is skipped,
    padding optional, any other stray character is an error."""
    compact = "".join(text.split())
    compact += "=" * (-len(compact) % 4)
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("bad base-64") from exc
    return raw.decode("utf-8", "replace")


class InputMethods:
    """The phone's InputMethodManager: `ime`, `settings … default_input_method`, broadcasts."""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self.declared: dict[str, tuple[str, ...]] = {}  # package -> IME ids, from installed APKs

    def available(self) -> list[str]:
        ids = [LATIN_IME]
        for package in self.phone.ui.installed_packages:
            ids.extend(self.declared.get(package) or KNOWN_IMES.get(package, ()))
        return ids

    @property
    def current(self) -> str:
        return self.phone.settings.get(("secure", "default_input_method"), "")

    def select(self, ime: str) -> None:
        self.phone.settings[("secure", "default_input_method")] = ime

    @property
    def enabled(self) -> list[str]:
        value = self.phone.settings.get(("secure", "enabled_input_methods"), "")
        return [ime for ime in value.split(":") if ime]

    def enable(self, ime: str, on: bool = True) -> bool:
        """Enable or disable; returns whether it was enabled before."""
        enabled = self.enabled
        before = ime in enabled
        if on and not before:
            enabled.append(ime)
        elif not on and before:
            enabled.remove(ime)
        self.phone.settings[("secure", "enabled_input_methods")] = ":".join(enabled)
        return before

    def installed(self, package: str, imes: tuple[str, ...]) -> None:
        """`pm install` of an APK declaring these input method services."""
        self.declared[package] = imes

    # -- broadcasts ------------------------------------------------------------------------------

    def deliver(self, intent: Intent) -> Reply:
        """The ordered broadcast `am broadcast` sends; NOBODY when no receiver takes it."""
        action = intent.action
        current = self.current if self.current in self.available() else ""
        if action in U2_ACTIONS and current == U2_KEYBOARD:
            try:
                return self._u2(intent)
            except ValueError as exc:  # the receiver's catch: RESULT_CANCELED, "error:…"
                return Reply(RESULT_CANCELED, f"error:{exc}")
        adbk_installed = "com.android.adbkeyboard" in self.phone.ui.installed_packages
        if action in ADBK_ACTIONS and (
            current == ADB_KEYBOARD or (not self.phone.strict and adbk_installed)
        ):
            self._adbk(intent)
        return NOBODY

    def _u2(self, intent: Intent) -> Reply:
        ui, action = self.phone.ui, intent.action
        if not ui.has_input_connection():
            return Reply(RESULT_OK, action)  # handleAction: no InputConnection
        if action == "ADB_KEYBOARD_INPUT_TEXT":
            text = intent.string("text")
            if text is None:
                return Reply(RESULT_OK, action)
            ui.commit_text(_b64(text))
        elif action == "ADB_KEYBOARD_SET_TEXT":
            text = _b64(intent.string("text") or "")
            ui.clear_field()
            ui.commit_text(text)
        elif action == "ADB_KEYBOARD_CLEAR_TEXT":
            ui.clear_field()
        elif action == "ADB_KEYBOARD_INPUT_KEYCODE":
            code = intent.integer("code")  # an --es code is not an int extra: nothing happens
            if code != -1:
                ui.keyevent(code)
        elif action == "ADB_KEYBOARD_EDITOR_CODE":
            if intent.integer("code") != -1:
                ui.editor_action()
        elif action == "ADB_KEYBOARD_SMART_ENTER":
            ui.editor_action()
            return Reply(RESULT_OK, "Enter")
        elif action == "ADB_KEYBOARD_GET_CLIPBOARD":
            clip = self.phone.clipboard or ""
            return Reply(RESULT_OK, base64.b64encode(clip.encode()).decode())
        return Reply(RESULT_OK)  # HIDE / SHOW change nothing the simulator draws

    def _adbk(self, intent: Intent) -> None:
        ui, action = self.phone.ui, intent.action
        msg = intent.string("msg") or ""
        if action == "ADB_INPUT_TEXT":
            ui.commit_text(msg)
        elif action == "ADB_INPUT_B64":
            with contextlib.suppress(ValueError):  # bad base64: the receiver types nothing
                ui.commit_text(_b64(msg))
        elif action == "ADB_CLEAR_TEXT":
            ui.clear_field()
        elif intent.integer("code", lenient=not self.phone.strict) in (66, 6, 4):
            ui.editor_action()  # ENTER / IME_ACTION_DONE / IME_ACTION_SEND
