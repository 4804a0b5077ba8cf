"""JSON-RPC 2.0 at the uiautomator2 server's /jsonrpc/0 (jsonrpc4j over AutomatorServiceImpl).

Errors as the real server sends them (U2S `Main.java` ErrorResolver): code -32001 with the Java
exception's class name as message - `androidx.test.uiautomator.UiObjectNotFoundException` (data:
the UiSelector) for a selector that matches nothing, which the client raises as
UiObjectNotFoundError. jsonrpc4j's own errors: -32700 bad JSON, -32600 not a request, -32601
unknown method, -32602 parameters that fit no overload. A method the real server has but this
simulator does not implement answers -32001 `java.lang.UnsupportedOperationException`, saying so.

Inputs go through PhoneUI like `input tap`/`swipe`/`keyevent` do, so taps are hit-tested the same
way; a `click(x, y)` is recorded in Phone.taps too.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from phonesim.ui.selector import SelectorError, describe, find_all, obj_info

if TYPE_CHECKING:
    from phonesim.u2server import U2Server

NOT_FOUND = "androidx.test.uiautomator.UiObjectNotFoundException"
POLL = 0.1  # seconds between looks while waitForExists / waitUntilGone wait
# Every method of the real server (U2S tools/methods.json), to tell "not simulated" from unknown.
REAL_METHODS = frozenset(
    {
        "ping",
        "getLastToast",
        "clearLastToast",
        "deviceInfo",
        "click",
        "drag",
        "swipe",
        "swipePoints",
        "injectInputEvent",
        "dumpWindowHierarchy",
        "takeScreenshot",
        "freezeRotation",
        "setOrientation",
        "getLastTraversedText",
        "clearLastTraversedText",
        "openNotification",
        "openQuickSettings",
        "pressKey",
        "pressKeyCode",
        "wakeUp",
        "sleep",
        "isScreenOn",
        "waitForIdle",
        "waitForWindowUpdate",
        "hasWatcherTriggered",
        "hasAnyWatcherTriggered",
        "registerClickUiObjectWatcher",
        "registerPressKeyskWatcher",
        "removeWatcher",
        "resetWatcherTriggers",
        "runWatchers",
        "getWatchers",
        "clearTextField",
        "getText",
        "setText",
        "clickAndWaitForNewWindow",
        "longClick",
        "dragTo",
        "exist",
        "objInfo",
        "count",
        "objInfoOfAllInstances",
        "gesture",
        "pinchIn",
        "pinchOut",
        "waitForExists",
        "waitUntilGone",
        "childByText",
        "childByDescription",
        "childByInstance",
        "getChild",
        "getFromParent",
        "getUiObject",
        "removeUiObject",
        "getUiObjects",
        "flingBackward",
        "flingForward",
        "flingToBeginning",
        "flingToEnd",
        "scrollBackward",
        "scrollForward",
        "scrollToBeginning",
        "scrollToEnd",
        "scrollTo",
        "getConfigurator",
        "setConfigurator",
        "setClipboard",
        "getClipboard",
        "pasteClipboard",
        "clearInputText",
        "launchApp",
        "executeShellCommand",
        "makeToast",
    }
)
KEYS = {
    "home": 3,
    "back": 4,
    "left": 21,
    "right": 22,
    "up": 19,
    "down": 20,
    "center": 23,
    "menu": 82,
    "search": 84,
    "enter": 66,
    "delete": 67,
    "del": 67,
    "recent": 187,
    "volume_up": 24,
    "volume_down": 25,
    "volume_mute": 164,
    "camera": 27,
    "power": 26,
}

Method = Callable[["U2Server", list[Any]], Awaitable[Any]]
METHODS: dict[str, Method] = {}


class JavaError(Exception):
    """An exception the server's method threw: sent as -32001 with the class as message."""

    def __init__(self, cls: str, data: str = "") -> None:
        super().__init__(cls, data)
        self.cls, self.data = cls, data


class BadParams(Exception):
    """No overload takes these parameters (jsonrpc4j: -32602)."""


def method(*names: str) -> Callable[[Method], Method]:
    def register(fn: Method) -> Method:
        for name in names:
            METHODS[name] = fn
        return fn

    return register


def _error(rid: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": rid, "error": error}


async def handle(server: U2Server, body: bytes) -> dict[str, Any]:
    """One JSON-RPC request body -> the response object."""
    try:
        request = json.loads(body)
    except ValueError:
        return _error(None, -32700, "JSON parse error")
    if not isinstance(request, dict) or not isinstance(request.get("method"), str):
        return _error(None, -32600, "invalid request")
    rid, name = request.get("id"), request["method"]
    params = request.get("params") or []
    params = list(params.values()) if isinstance(params, dict) else list(params)
    server.requests.append(f"jsonrpc {name}")
    fn = METHODS.get(name)
    thrown = server.phone.faults.u2_rpc_errors.get(name)
    if thrown:
        return _error(rid, -32001, thrown, f"{thrown}\n\tat {name} (phonesim fault)")
    if fn is None:
        if name in REAL_METHODS:
            data = f"phonesim does not simulate the uiautomator2 method {name}"
            return _error(rid, -32001, "java.lang.UnsupportedOperationException", data)
        return _error(rid, -32601, "method not found")
    try:
        result = await fn(server, params)
    except JavaError as exc:
        return _error(rid, -32001, exc.cls, exc.data)
    except SelectorError as exc:
        return _error(rid, -32001, "java.util.regex.PatternSyntaxException", str(exc))
    except (BadParams, TypeError, ValueError, IndexError, KeyError, AttributeError):
        return _error(rid, -32602, "method parameters invalid")
    return {"jsonrpc": "2.0", "id": rid, "result": result}


def _arity(params: list[Any], *counts: int) -> int:
    if len(params) not in counts:
        raise BadParams
    return len(params)


def _is_selector(value: Any) -> bool:
    return isinstance(value, dict) and "mask" in value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadParams
    return int(value)  # Jackson coerces 540.0 to 540


# -- device --------------------------------------------------------------------------------------


@method("ping")
async def ping(server: U2Server, params: list) -> str:
    return "pong"


@method("deviceInfo")
async def device_info(server: U2Server, params: list) -> dict[str, Any]:
    phone = server.phone
    w, h = phone.screen_size
    density = phone.density or 160
    return {
        "currentPackageName": phone.ui.windows()[0][0],
        "displayHeight": h,
        "displayRotation": 0,
        "displaySizeDpX": round(w * 160 / density),
        "displaySizeDpY": round(h * 160 / density),
        "displayWidth": w,
        "naturalOrientation": True,
        "productName": phone.props["ro.product.name"],
        "screenOn": phone.screen_on,
        "sdkInt": int(phone.props["ro.build.version.sdk"]),
    }


@method("wakeUp")
async def wake_up(server: U2Server, params: list) -> None:
    server.phone.screen_on = True


@method("sleep")
async def sleep(server: U2Server, params: list) -> None:
    server.phone.screen_on = False


@method("isScreenOn")
async def is_screen_on(server: U2Server, params: list) -> bool:
    return server.phone.screen_on


@method("getLastToast")
async def get_last_toast(server: U2Server, params: list) -> None:
    return None  # the simulated apps show no toasts


@method("clearLastToast", "freezeRotation")
async def no_op(server: U2Server, params: list) -> None:
    return None


@method("waitForIdle")
async def wait_for_idle(server: U2Server, params: list) -> None:
    _arity(params, 1)
    if server.phone.ui.animating():  # never idle: the wait runs out (no error, like UiDevice)
        await asyncio.sleep(_int(params[0]) / 1000)


@method("waitForWindowUpdate")
async def wait_for_window_update(server: U2Server, params: list) -> bool:
    _arity(params, 2)
    if server.phone.ui.animating():
        return True  # content keeps changing
    await asyncio.sleep(_int(params[1]) / 1000)
    return False


@method("dumpWindowHierarchy")
async def dump_window_hierarchy(server: U2Server, params: list) -> str:
    # Configurator.setWaitForIdleTimeout(0): answers at once, video playing or not.
    _arity(params, 1, 2, 3)
    depth = _int(params[1]) if len(params) > 1 else 50
    active_only = bool(params[2]) if len(params) > 2 else False
    return server.phone.ui.u2_dump_xml(depth, active_only)


@method("takeScreenshot")
async def take_screenshot(server: U2Server, params: list) -> str:
    if len(params) == 3:
        raise JavaError(
            "java.lang.UnsupportedOperationException",
            "phonesim does not simulate takeScreenshot(filename, scale, quality)",
        )
    _arity(params, 2)
    from PIL import Image

    scale, quality = float(params[0]), _int(params[1])
    image = Image.open(io.BytesIO(server.phone.ui.screencap_png())).convert("RGB")
    if scale != 1.0:
        w, h = image.size
        image = image.resize((max(1, round(w * scale)), max(1, round(h * scale))))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=max(1, min(100, quality)))
    return base64.encodebytes(out.getvalue()).decode()  # Base64.DEFAULT wraps at 76


# -- input ---------------------------------------------------------------------------------------


def _tap(server: U2Server, x: int, y: int, ms: int = 100) -> bool:
    if x < 0 or y < 0:
        return False
    phone = server.phone
    phone.record_tap(x, y)
    if ms >= 500:
        phone.ui.swipe(x, y, x, y, ms)  # held still: a long press
    else:
        phone.ui.tap(x, y)
    return True


@method("click")
async def click(server: U2Server, params: list) -> bool:
    if params and _is_selector(params[0]):
        _arity(params, 1, 2)
        x, y = _centre(server, params[0])
        return _tap(server, x, y)
    count = _arity(params, 2, 3)
    ms = _int(params[2]) if count == 3 else 100
    return _tap(server, _int(params[0]), _int(params[1]), ms)


@method("longClick")
async def long_click(server: U2Server, params: list) -> bool:
    _arity(params, 1, 2)
    x, y = _centre(server, params[0])
    return _tap(server, x, y, 800)


def _swipe(server: U2Server, points: list[tuple[int, int]], steps: int) -> bool:
    (x1, y1), (x2, y2) = points[0], points[-1]
    server.phone.ui.swipe(x1, y1, x2, y2, max(1, steps) * 5)  # 5 ms per step
    return True


@method("swipe")
async def swipe(server: U2Server, params: list) -> bool:
    if params and _is_selector(params[0]):
        raise JavaError(
            "java.lang.UnsupportedOperationException",
            "phonesim does not simulate swipe(selector, direction, …)",
        )
    _arity(params, 5)
    x1, y1, x2, y2, steps = (_int(v) for v in params)
    return _swipe(server, [(x1, y1), (x2, y2)], steps)


@method("drag")
async def drag(server: U2Server, params: list) -> bool:
    _arity(params, 5)
    x1, y1, x2, y2, steps = (_int(v) for v in params)
    return _swipe(server, [(x1, y1), (x2, y2)], steps)


@method("swipePoints")
async def swipe_points(server: U2Server, params: list) -> bool:
    _arity(params, 2)
    flat = [_int(v) for v in params[0]]
    points = list(zip(flat[::2], flat[1::2], strict=False))
    if not points:
        return False
    return _swipe(server, points, _int(params[1]) * max(1, len(points) - 1))


@method("injectInputEvent")
async def inject_input_event(server: U2Server, params: list) -> bool:
    _arity(params, 4)
    action, x, y = _int(params[0]), float(params[1]), float(params[2])
    if action == 0:  # ACTION_DOWN
        server.touch = (x, y, time.monotonic())
        return True
    if action == 2:  # ACTION_MOVE
        return server.touch is not None
    if action != 1 or server.touch is None:  # ACTION_UP
        return False
    x0, y0, since = server.touch
    server.touch = None
    held = int((time.monotonic() - since) * 1000)
    if abs(x - x0) < 20 and abs(y - y0) < 20:
        return _tap(server, int(x), int(y), held)
    server.phone.ui.swipe(int(x0), int(y0), int(x), int(y), max(held, 50))
    return True


@method("pressKey")
async def press_key(server: U2Server, params: list) -> bool:
    _arity(params, 1)
    code = KEYS.get(str(params[0]).lower())
    if code is None:
        return False
    server.phone.press_key(code)
    return True


@method("pressKeyCode")
async def press_key_code(server: U2Server, params: list) -> bool:
    _arity(params, 1, 2)
    server.phone.press_key(_int(params[0]))
    return True


# -- clipboard -----------------------------------------------------------------------------------


@method("setClipboard")
async def set_clipboard(server: U2Server, params: list) -> None:
    _arity(params, 2)  # (label, text)
    text = params[1]
    server.phone.clipboard = None if text is None else str(text)


@method("getClipboard")
async def get_clipboard(server: U2Server, params: list) -> str | None:
    return server.phone.clipboard


@method("pasteClipboard")
async def paste_clipboard(server: U2Server, params: list) -> None:
    # Ctrl+V key events: the focused field pastes the primary clip at the cursor.
    if server.phone.clipboard:
        server.phone.ui.commit_text(server.phone.clipboard)


@method("clearInputText")
async def clear_input_text(server: U2Server, params: list) -> None:
    server.phone.ui.clear_field()  # Ctrl+A, DEL


# -- selectors -----------------------------------------------------------------------------------


def _hits(server: U2Server, selector: Any) -> list:
    if not _is_selector(selector):
        raise BadParams
    return find_all(server.phone.ui.windows(), selector)


def _first(server: U2Server, selector: Any):
    hits = _hits(server, selector)
    if not hits:
        raise JavaError(NOT_FOUND, describe(selector))
    return hits[0]


def _centre(server: U2Server, selector: Any) -> tuple[int, int]:
    return _first(server, selector).node.center


@method("exist")
async def exist(server: U2Server, params: list) -> bool:
    _arity(params, 1)
    return bool(_hits(server, params[0]))


async def _wait(server: U2Server, params: list, present: bool) -> bool:
    _arity(params, 2)
    deadline = time.monotonic() + _int(params[1]) / 1000
    while True:
        if bool(_hits(server, params[0])) == present:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL)


@method("waitForExists")
async def wait_for_exists(server: U2Server, params: list) -> bool:
    return await _wait(server, params, True)


@method("waitUntilGone")
async def wait_until_gone(server: U2Server, params: list) -> bool:
    return await _wait(server, params, False)


@method("objInfo")
async def obj_info_method(server: U2Server, params: list) -> dict[str, Any]:
    _arity(params, 1)
    return obj_info(_first(server, params[0]))


@method("objInfoOfAllInstances")
async def obj_info_all(server: U2Server, params: list) -> list[dict[str, Any]]:
    _arity(params, 1)
    return [obj_info(hit) for hit in _hits(server, params[0])]


@method("count")
async def count(server: U2Server, params: list) -> int:
    _arity(params, 1)
    return len(_hits(server, params[0]))


@method("getText")
async def get_text(server: U2Server, params: list) -> str | None:
    _arity(params, 1)
    return _first(server, params[0]).node.text or None


def _focus(server: U2Server, selector: Any) -> None:
    """UiObject2.click() on the field first: the tap gives it the input focus."""
    x, y = _centre(server, selector)
    _tap(server, x, y)


@method("setText")
async def set_text(server: U2Server, params: list) -> bool:
    _arity(params, 2)
    _focus(server, params[0])
    ui = server.phone.ui
    if ui.has_input_connection():  # ACTION_SET_TEXT: replaces the text, any Unicode
        ui.clear_field()
        ui.commit_text(str(params[1] or ""))
    return True


@method("clearTextField")
async def clear_text_field(server: U2Server, params: list) -> None:
    _arity(params, 1)
    _focus(server, params[0])
    server.phone.ui.clear_field()
