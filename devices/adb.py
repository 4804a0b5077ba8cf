"""The device layer: everything the product does to phones goes through here.

This is the only module that imports adbutils and uiautomator2. adbutils does the adb side (the
device list, shell commands, files); everything on screen (the view hierarchy, taps, swipes,
keys, typing, screenshots) goes through the uiautomator2 server on the phone, which the
`uiautomator2` package starts there as it always does: it pushes its u2.jar to /data/local/tmp,
launches it with `app_process` and talks JSON-RPC to it over an adb tunnel. Unlike plain
`uiautomator dump`, the server reads the screen without waiting for it to go idle, so video
feeds that never stop animating can be read (research real-app-ui.md §4). One server connection
per phone is kept per process; a server that stopped is restarted once, on the next call.

Every call has a time limit (seconds of silence on the adb socket, and the server's start-up),
and every adbutils/uiautomator2/socket error comes out as one of our own exceptions with a
message a person can act on:

    DeviceError              base class (refused service, bad reply …)
    ├── AdbServerDown        the adb server itself does not answer (not running, restarting,
    │                        frozen): no phone is to blame
    ├── DeviceOffline        the phone is listed but not answering ("offline"), or it dropped
    ├── DeviceUnauthorized   the phone has not accepted this computer's USB-debugging key
    ├── DeviceNotFound       the adb server does not know this serial
    ├── DeviceTimeout        the phone did not answer within the timeout
    └── AutomationUnavailable  the uiautomator2 server cannot start (or restart) on this phone

A timeout or a dropped connection could be the phone's doing or the server's: a bounded health
check of the server (``host:version``, :meth:`Adb.server_answers`) decides which.

Typical use::

    adb = Adb()                      # settings.ADB_SERVER_HOST / ADB_SERVER_PORT
    adb.server.ensure_running()
    phone = adb.device("127.0.0.1:40001")
    root = phone.dump_ui()
    phone.tap(*root.find(resource_id="com.zhiliaoapp.musically:id/follow_btn").centre)
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import http.client
import io
import logging
import os
import re
import select
import shlex
import socket
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import adbutils
import uiautomator2
from adbutils._adb import AdbConnection
from adbutils._device_base import _DEFAULT_SOCKET_TIMEOUT
from adbutils.errors import AdbConnectionError, AdbError, AdbTimeout
from uiautomator2 import exceptions as u2errors

log = logging.getLogger("devices.adb")
T = TypeVar("T")

DEFAULT_TIMEOUT = 20.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Seconds a freshly launched uiautomator2 server has to answer /ping (the library waits 30).
SERVER_START_TIMEOUT = 20.0
# uiautomator2's keyboard app (its wheel's app-uiautomator.apk) and the input method in it.
KEYBOARD_PACKAGE = "com.github.uiautomator"
KEYBOARD_IME = "com.github.uiautomator/.AdbKeyboard"
KEYBOARD_APK = Path(uiautomator2.__file__).parent / "assets" / "app-uiautomator.apk"
BROADCAST_OK = -1  # Activity.RESULT_OK: the keyboard's receiver took the broadcast
# Key names the scripts use (KEYCODE_ENTER or ENTER) -> Android key codes.
KEYCODES = {"HOME": 3, "BACK": 4, "DPAD_CENTER": 23, "ENTER": 66, "DEL": 67, "SEARCH": 84}


# -- errors ------------------------------------------------------------------------------------


class DeviceError(Exception):
    """Something went wrong talking to a phone or to the adb server."""

    def __init__(self, message: str, serial: str | None = None) -> None:
        super().__init__(f"{serial}: {message}" if serial else message)
        self.serial = serial
        self.reason = message  # without the serial, e.g. for the phone's own page


class AdbServerDown(DeviceError):
    pass


class DeviceOffline(DeviceError):
    pass


class DeviceUnauthorized(DeviceError):
    pass


class DeviceNotFound(DeviceError):
    pass


class DeviceTimeout(DeviceError):
    pass


class AutomationUnavailable(DeviceError):
    """The automation server (uiautomator2) cannot start on this phone, or it stopped and would
    not start again: nothing on its screen can be read or touched until that is fixed."""


def _translate(exc: BaseException, serial: str | None, what: str, where: str) -> DeviceError:
    text = (
        " ".join(str(a) for a in exc.args if isinstance(a, str)) or str(exc) or type(exc).__name__
    )
    low = text.lower()
    if isinstance(exc, AdbTimeout | TimeoutError | socket.timeout | subprocess.TimeoutExpired):
        return DeviceTimeout(f"{what} timed out (no answer from {where})", serial)
    if isinstance(exc, AdbConnectionError):
        return AdbServerDown(f"the adb server at {where} is not answering; is it running? ({text})")
    if low.startswith("unknown data: b''") or low == "connection is closed":
        exc = EOFError(text)  # adbutils' words for a connection closed under it
    if "unauthorized" in low:
        return DeviceUnauthorized(
            f"{what} failed: the phone has not allowed USB debugging from this computer; "
            "accept the prompt on its screen",
            serial,
        )
    if "offline" in low:
        return DeviceOffline(f"{what} failed: the phone is offline (unplugged or asleep?)", serial)
    if "not found" in low and "device" in low or "no such device" in low:
        return DeviceNotFound(f"{what} failed: the adb server does not know this phone", serial)
    if low.strip() == "closed":
        return DeviceError(f"{what} failed: the phone refused the request", serial)
    if isinstance(exc, EOFError | ConnectionError):
        return DeviceOffline(f"{what} failed: the connection to the phone dropped", serial)
    return DeviceError(f"{what} failed: {text}", serial)


# -- the adb server ----------------------------------------------------------------------------


def adb_binary() -> str:
    """The adb executable: $ADBUTILS_ADB_PATH, else the one bundled in the adbutils wheel (a
    known recent version), else whatever adbutils finds on PATH."""
    if os.environ.get("ADBUTILS_ADB_PATH"):
        return os.environ["ADBUTILS_ADB_PATH"]
    bundled = Path(adbutils.__file__).parent / "binaries" / "adb"
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled)
    try:
        return adbutils.adb_path()
    except AdbError as exc:
        raise DeviceError("no adb executable found; install platform-tools") from exc


def server_address() -> tuple[str, int]:
    """ADB_SERVER_HOST/ADB_SERVER_PORT from Django settings (defaults when Django is absent)."""
    host, port = "127.0.0.1", 5037
    with contextlib.suppress(ImportError):
        from django.conf import settings

        if settings.configured:
            host = getattr(settings, "ADB_SERVER_HOST", host)
            port = int(getattr(settings, "ADB_SERVER_PORT", port))
    return host, port


@dataclass
class AdbServer:
    host: str = "127.0.0.1"
    port: int = 5037
    binary: str = field(default_factory=adb_binary)
    env: dict[str, str] = field(default_factory=dict)  # extra environment, e.g. a private HOME

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def is_running(self, timeout: float = 1.0) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection((self.host, self.port), timeout),
        ):
            return True
        return False

    def _run(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        # The CLI reads the port from -P and its own env var; set both so child daemons agree.
        env = dict(os.environ, **self.env, ANDROID_ADB_SERVER_PORT=str(self.port))
        try:
            return subprocess.run(
                [self.binary, "-P", str(self.port), *args],
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise _translate(exc, None, f"adb {' '.join(args)}", self.where) from exc

    def start(self, timeout: float = 20) -> None:
        """Start a server on our port (only possible on this machine)."""
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            raise DeviceError(f"the adb server at {self.where} is remote; start it on that host")
        result = self._run("start-server", timeout=timeout)
        if result.returncode != 0 or not self.is_running():
            raise DeviceError(
                f"could not start the adb server on port {self.port}: "
                f"{(result.stderr or result.stdout).strip()}"
            )

    def ensure_running(self, timeout: float = 20) -> None:
        if not self.is_running():
            self.start(timeout)

    def kill(self, timeout: float = 10) -> None:
        if self.is_running():
            self._run("kill-server", timeout=timeout)


# -- adbutils plumbing -------------------------------------------------------------------------


class _Connection(AdbConnection):
    # adbutils would run a bare `adb start-server` (default port 5037!) when it cannot connect.
    # We never want a surprise server on someone else's port: fail instead; AdbServer starts it.
    def _safe_connect(self):
        return self._create_socket()


class _Client(adbutils.AdbClient):
    def __init__(self, host: str, port: int, timeout: float | None) -> None:
        super().__init__(host=host, port=port, socket_timeout=timeout)
        self._timeout = timeout

    def make_connection(self, timeout: float | None = None) -> AdbConnection:
        # adbutils passes its 10-minute default on many paths; ours applies instead.
        if timeout in (None, _DEFAULT_SOCKET_TIMEOUT):
            timeout = self._timeout
        conn = _Connection(self.host, self.port)
        conn.conn.settimeout(timeout)
        # Small writes go out at once: http.client sends a request's headers and body in two
        # writes, and with Nagle's algorithm the body would wait for the adb server's delayed
        # ACK (40 ms on Linux) on every uiautomator2 call.
        conn.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn


# -- data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceListing:
    """One line of `adb devices -l`. ``model`` is adb's sanitised form (spaces become _)."""

    serial: str
    state: str  # device | offline | unauthorized | authorizing | connecting | …
    model: str = ""
    product: str = ""
    device: str = ""
    transport_id: int | None = None

    @property
    def online(self) -> bool:
        return self.state == "device"


@dataclass(frozen=True)
class DeviceInfo:
    model: str
    brand: str
    android_version: str
    sdk: int | None
    screen: tuple[int, int] | None
    battery: int | None

    @property
    def screen_text(self) -> str:
        return f"{self.screen[0]}x{self.screen[1]}" if self.screen else ""


@dataclass
class UiNode:
    """One node of a `uiautomator dump`."""

    resource_id: str = ""
    text: str = ""
    content_desc: str = ""
    class_name: str = ""
    package: str = ""
    bounds: tuple[int, int, int, int] = (0, 0, 0, 0)
    clickable: bool = False
    enabled: bool = True
    selected: bool = False
    focused: bool = False
    checked: bool = False
    children: list[UiNode] = field(default_factory=list)

    @property
    def centre(self) -> tuple[int, int]:
        x1, y1, x2, y2 = self.bounds
        return (x1 + x2) // 2, (y1 + y2) // 2

    def iter(self) -> Iterator[UiNode]:
        """This node and all descendants, depth first in document order."""
        yield self
        for child in self.children:
            yield from child.iter()

    def find_all(
        self,
        *,
        resource_id: str | None = None,
        text: str | None = None,
        content_desc: str | None = None,
        text_contains: str | None = None,
    ) -> list[UiNode]:
        """Nodes matching every given criterion (exact match, except ``text_contains``)."""

        def matches(n: UiNode) -> bool:
            return (
                (resource_id is None or n.resource_id == resource_id)
                and (text is None or n.text == text)
                and (content_desc is None or n.content_desc == content_desc)
                and (text_contains is None or text_contains in n.text)
            )

        return [n for n in self.iter() if matches(n)]

    def find(self, **criteria: str) -> UiNode | None:
        hits = self.find_all(**criteria)
        return hits[0] if hits else None


_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")


def parse_hierarchy(xml: str) -> UiNode:
    """Parse `uiautomator dump` XML; the returned root holds the top-level nodes as children."""
    try:
        tree = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise DeviceError(f"the UI dump is not valid XML ({exc})") from exc
    return _node(tree)


# What the uiautomator2 server's dumper (stripInvalidXMLChars) replaces with '.', per UTF-16 unit.
_NOT_IN_DUMPS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufdd0-\ufddf\ufffe\uffff]"
)


def as_dumped(text: str) -> str:
    """``text`` as it reads in a dump: the server writes each half of a surrogate pair (an
    emoji is two UTF-16 units) and most control characters as '.', so "Top 🔥" reads
    "Top ..". The field itself holds the real text (``PhoneLink.focused_text``)."""
    units = "".join(c if ord(c) <= 0xFFFF else "\ud800\udc00" for c in text)
    return _NOT_IN_DUMPS.sub(".", units)


def _node(element: ET.Element) -> UiNode:
    a = element.attrib
    m = _BOUNDS.fullmatch(a.get("bounds", ""))
    return UiNode(
        resource_id=a.get("resource-id", ""),
        text=a.get("text", ""),
        content_desc=a.get("content-desc", ""),
        class_name=a.get("class", ""),
        package=a.get("package", ""),
        bounds=tuple(int(v) for v in m.groups()) if m else (0, 0, 0, 0),
        clickable=a.get("clickable") == "true",
        enabled=a.get("enabled", "true") == "true",
        selected=a.get("selected") == "true",
        focused=a.get("focused") == "true",
        checked=a.get("checked") == "true",
        children=[_node(child) for child in element if child.tag == "node"],
    )


# -- client ------------------------------------------------------------------------------------


class Adb:
    """The adb server as the product sees it. Cheap to create; holds no open connection."""

    def __init__(
        self, host: str | None = None, port: int | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        default_host, default_port = server_address()
        self.host = host or default_host
        self.port = port or default_port
        self.timeout = timeout
        self.server = AdbServer(self.host, self.port)
        self._client = _Client(self.host, self.port, timeout)

    @contextlib.contextmanager
    def _errors(self, what: str, serial: str | None = None) -> Iterator[None]:
        try:
            yield
        except DeviceError:
            raise
        except (AdbError, OSError, EOFError, TimeoutError) as exc:
            error = _translate(exc, serial, what, self.server.where)
            error = self._blame(error, what, serial)
            if serial and isinstance(error, DeviceOffline | DeviceNotFound | AdbServerDown):
                forget_server(serial)  # the phone (or its server) went away: stale connection
            raise error from exc

    def _blame(self, error: DeviceError, what: str, serial: str | None) -> DeviceError:
        """A timeout or a dropped connection is the server's fault if it does not answer a
        health check now (or the request was for the server itself), else the phone's."""
        if not isinstance(error, DeviceTimeout | DeviceOffline):
            return error
        if serial is None or not self.server_answers():
            return AdbServerDown(
                f"{what} failed: the adb server at {self.server.where} is not answering", serial
            )
        if isinstance(error, DeviceTimeout):
            return DeviceTimeout(
                f"{what} timed out: the phone did not answer (the adb server does)", serial
            )
        return error

    def server_answers(self, timeout: float = 2.0) -> bool:
        """A bounded health check: does the adb server answer ``host:version`` within
        ``timeout`` seconds? (A frozen server still accepts connections, then says nothing.)"""
        try:
            _Client(self.host, self.port, timeout).server_version()
        except (AdbError, OSError, EOFError, ValueError):
            return False
        return True

    def devices(self) -> list[DeviceListing]:
        """Every phone the server knows, in any state."""
        with self._errors("listing devices"):
            infos = self._client.list(extended=True)
        return [
            DeviceListing(
                serial=i.serial,
                state=i.state,
                model=i.tags.get("model", ""),
                product=i.tags.get("product", ""),
                device=i.tags.get("device", ""),
                transport_id=i.transport_id,
            )
            for i in infos
        ]

    def state(self, serial: str) -> str | None:
        """The phone's state, or None when the server does not list it."""
        return next((d.state for d in self.devices() if d.serial == serial), None)

    def connect(self, address: str, timeout: float | None = None) -> str:
        """`adb connect`: returns the server's message, raises DeviceError when it failed.
        The phone may still be "offline" for a moment: use wait_for() before using it."""
        with self._errors(f"connecting {address}", address):
            message = self._client.connect(address, timeout=timeout or self.timeout)
        if "authenticate" in message:
            # Newer servers wait for the handshake; the phone stays listed as "unauthorized".
            raise DeviceUnauthorized(
                "connected, but the phone has not allowed USB debugging from this computer; "
                "accept the prompt on its screen",
                address,
            )
        if "connected to" not in message or message.startswith(("failed", "unable", "cannot")):
            raise DeviceError(f"could not connect: {message.strip()}", address)
        return message

    def disconnect(self, address: str) -> bool:
        """`adb disconnect`: True when the server knew the address."""
        with self._errors(f"disconnecting {address}", address):
            try:
                return "disconnected" in (self._client.disconnect(address, raise_error=True) or "")
            except AdbError as exc:
                if "no such device" in str(exc):
                    return False
                raise

    def wait_for(self, serial: str, state: str = "device", timeout: float = 10) -> None:
        with self._errors(f"waiting for state {state!r}", serial):
            self._client.wait_for(serial, state=state, timeout=timeout)

    def track_devices(self, idle: float | None = None) -> Iterator[list[tuple[str, str]] | None]:
        """Follow `host:track-devices`: yields the full [(serial, state)] list on every change.
        Blocks between changes; raises DeviceError when the server goes away. With ``idle``,
        also yields None after that many quiet seconds, so a caller can notice it should stop
        (a thread blocked in recv cannot be interrupted, and its generator cannot be closed)."""
        client = _Client(self.host, self.port, None)  # waiting for news is not a timeout
        with self._errors("tracking devices"), client.make_connection() as conn:
            conn.send_command("host:track-devices")
            conn.check_okay()
            while True:
                if idle is not None and not select.select([conn.conn], [], [], idle)[0]:
                    yield None
                    continue
                block = conn.read_string_block()
                yield [tuple(line.split("\t", 1)) for line in block.splitlines() if "\t" in line]

    def device(self, serial: str) -> PhoneLink:
        return PhoneLink(self, serial)


def open_device(serial: str, timeout: float = DEFAULT_TIMEOUT) -> PhoneLink:
    """The phone ``serial`` on the configured adb server (settings.ADB_SERVER_HOST/PORT)."""
    return Adb(timeout=timeout).device(serial)


class PhoneLink:
    """Our line to one phone through the adb server (not the ``devices.models.Device`` row).
    Cheap to create; methods are thin: one or two round trips each. The screen methods share
    this process's connection to the phone's uiautomator2 server (started on first use)."""

    def __init__(self, adb: Adb, serial: str) -> None:
        self.adb = adb
        self.serial = serial
        self._dev = adbutils.AdbDevice(adb._client, serial=serial)
        # Once the server failed to start for this link, every screen call fails at once with
        # that reason instead of waiting for another start (a new link tries again).
        self._automation_error: AutomationUnavailable | None = None

    def __repr__(self) -> str:
        return f"PhoneLink({self.serial!r})"

    def _errors(self, what: str):
        return self.adb._errors(what, self.serial)

    def _timeout(self, timeout: float | None) -> float:
        return timeout or self.adb.timeout

    # -- shell ---------------------------------------------------------------------------------

    def shell(self, command: str | Sequence[str], timeout: float | None = None) -> str:
        """Run a command (a string for the phone's sh, or a list to be quoted) and return its
        output (stdout and stderr merged, trailing whitespace stripped). No exit status."""
        with self._errors(f"shell {_short(command)}"):
            return self._dev.shell(_cmdline(command), timeout=self._timeout(timeout))

    def shell_status(
        self, command: str | Sequence[str], timeout: float | None = None
    ) -> tuple[int, str]:
        """(exit status, output) via the `; echo X4EXIT:$?` trick, which works on every phone."""
        with self._errors(f"shell {_short(command)}"):
            r = self._dev.shell2(_cmdline(command), timeout=self._timeout(timeout), rstrip=True)
        return r.returncode, r.output

    def _shell_bytes(self, command: str, timeout: float | None) -> bytes:
        with self._errors(f"shell {_short(command)}"):
            return self._dev.shell(command, timeout=self._timeout(timeout), encoding=None)

    # -- files ---------------------------------------------------------------------------------

    def push(self, src: str | Path | bytes, dst: str) -> int:
        """Copy a local file (path) or bytes to ``dst`` on the phone; returns the size."""
        data_or_path = src if isinstance(src, bytes | bytearray) else Path(src)
        with self._errors(f"push to {dst}"):
            return self._dev.sync.push(data_or_path, dst, check=True)

    def pull(self, src: str, dst: str | Path) -> int:
        with self._errors(f"pull {src}"):
            return self._dev.sync.pull_file(src, Path(dst))

    def read_bytes(self, path: str) -> bytes:
        with self._errors(f"read {path}"):
            return self._dev.sync.read_bytes(path)

    def exists(self, path: str) -> bool:
        with self._errors(f"stat {path}"):
            return self._dev.sync.exists(path)

    # -- media ---------------------------------------------------------------------------------

    def index_media(self, paths: Sequence[str]) -> list[str]:
        """Put pushed photos/videos into the gallery the Android 10+ way and return their
        MediaStore content Uris, in order. The first path is made the newest (then the second…)
        so the apps' galleries, which list the newest first, show them in that order.

        ``paths`` are canonical (``/storage/emulated/0/…``: what MediaStore stores). The file
        times come from the phone's own clock, in its local time (`touch -d` reads local time;
        `@seconds` needs a newer toybox than many phones have). MediaStore then rescans the
        volume (`content call … scan_volume`; the MEDIA_SCANNER_SCAN_FILE broadcast is
        deprecated since Android 10 and ignored by newer builds) and is asked for the ids.
        """
        if not paths:
            return []
        out = self.shell("date +%Y-%m-%dT%H:%M:%S").strip()
        try:
            now = datetime.datetime.fromisoformat(out)
        except ValueError:
            raise DeviceError(f"unexpected `date` output: {out[:60]!r}", self.serial) from None
        self.shell(
            " && ".join(
                f"touch -m -d {(now - datetime.timedelta(seconds=n)).isoformat()} {shlex.quote(p)}"
                for n, p in enumerate(paths)
            )
        )
        self._scan_volume()
        rows = self._media_rows(paths)
        missing = [p for p in paths if p not in rows]
        if missing:
            raise DeviceError(f"the phone's media store did not index {missing[0]}", self.serial)
        return [rows[p] for p in paths]

    def remove_media(self, paths: Sequence[str]) -> None:
        """Delete files pushed for a post and drop them from the gallery."""
        if paths:
            self.shell(["rm", "-f", *paths])
            self._scan_volume()

    def _scan_volume(self) -> None:
        out = self.shell(
            "content call --uri content://media --method scan_volume --arg external_primary",
            timeout=max(self.adb.timeout, 60),  # a big gallery takes a while
        )
        if "Error" in out or "[ERROR]" in out:
            raise DeviceError(f"the media store refused a rescan: {_last_line(out)}", self.serial)

    def _media_rows(self, paths: Sequence[str]) -> dict[str, str]:
        """path -> content Uri, for the given paths MediaStore knows."""
        where = " OR ".join("_data=" + _sql_string(p) for p in paths)
        out = self.shell(
            ["content", "query", "--uri", "content://media/external/file",
             "--projection", "_id:_data:mime_type", "--where", where]
        )  # fmt: skip
        uris = {}
        for line in out.splitlines():
            row = re.match(r"Row: \d+ _id=(\d+), _data=(.*), mime_type=(\S*)$", line.strip())
            if row:
                row_id, path, mime = row.groups()
                table = {"video": "video", "image": "images"}.get(mime.split("/")[0], "file")
                uris[path] = f"content://media/external/{table}/media/{row_id}"
        return uris

    def share_file(self, component: str, uri: str, mime: str) -> None:
        """Open ``component`` (package/activity) with one file, as Android's share sheet does:
        ACTION_SEND with the content Uri in EXTRA_STREAM and read permission granted to it."""
        code, out = self.shell_status(
            ["am", "start", "-W", "-n", component, "-a", "android.intent.action.SEND",
             "-t", mime, "--grant-read-uri-permission",
             "--eu", "android.intent.extra.STREAM", uri]
        )  # fmt: skip
        if code != 0 or "Error" in out or "Exception" in out:
            raise DeviceError(
                f"could not share the file to {component}: {_last_line(out)}", self.serial
            )

    # -- screen: adb alone (thumbnails; evidence when the server is down) ----------------------

    def screenshot_png(self, timeout: float | None = None) -> bytes:
        """The screen as PNG through adb's `screencap -p`; needs no automation server."""
        png = self._shell_bytes("screencap -p", timeout)
        if not png.startswith(PNG_SIGNATURE):
            raise DeviceError(
                "screencap did not return a PNG (screen locked or secure?)", self.serial
            )
        return png

    def window_size(self) -> tuple[int, int]:
        """(width, height) as the user holds the phone (swapped when rotated 90/270)."""
        out = self.shell("wm size; dumpsys display | grep orientation=")
        size = re.search(r"Override size: (\d+)x(\d+)", out) or re.search(
            r"Physical size: (\d+)x(\d+)", out
        )
        if not size:
            raise DeviceError(f"unexpected `wm size` output: {out[:80]!r}", self.serial)
        w, h = int(size.group(1)), int(size.group(2))
        rotation = re.search(r"orientation=(\d)", out)
        return (h, w) if rotation and int(rotation.group(1)) % 2 else (w, h)

    # -- screen: through the uiautomator2 server ----------------------------------------------

    def start_automation(self) -> None:
        """Make sure the phone's uiautomator2 server runs (push u2.jar if needed, launch it);
        AutomationUnavailable with the reason when it cannot."""
        self._server()

    def stop_automation(self) -> None:
        """Stop the server this process started on the phone, which frees the phone's one UI
        automation slot (for plain `uiautomator dump` or another tool); the next screen call
        starts it again."""
        client = _clients.get((self.adb.host, self.adb.port, self.serial))
        if client is not None:
            with self._server_errors("stopping the automation server"):
                client.stop_uiautomator()
        forget_server(self.serial)

    def _server(self) -> _ServerClient:
        if self._automation_error is not None:
            raise self._automation_error
        key = (self.adb.host, self.adb.port, self.serial)
        client = _clients.get(key)
        if client is None:
            with self._server_errors(STARTING):
                client = _ServerClient(
                    self._dev, start_timeout=SERVER_START_TIMEOUT, call_timeout=self.adb.timeout
                )
            with _clients_lock:
                client = _clients.setdefault(key, client)
        return client

    def _call(self, what: str, call: Callable[[_ServerClient], T]) -> T:
        server = self._server()
        with self._server_errors(what):
            return call(server)

    @contextlib.contextmanager
    def _server_errors(self, what: str) -> Iterator[None]:
        """uiautomator2's and adbutils' exceptions as ours. A server that cannot start makes
        this link fail fast from now on; a phone that went away loses its cached connection."""
        try:
            yield
        except DeviceError:
            raise
        except u2errors.AccessibilityServiceAlreadyRegisteredError as exc:
            raise self._unavailable(
                "another automation tool (Appium, or another app's uiautomator server) holds "
                "the phone's UI automation; stop it or restart the phone",
                what,
            ) from exc
        except u2errors.LaunchUiAutomationError as exc:
            raise self._unavailable(_launch_failure(exc), what) from exc
        except (u2errors.HTTPError, u2errors.UiAutomationNotConnectedError) as exc:
            raise self._unavailable(f"the server stopped answering ({exc})", what) from exc
        except u2errors.RPCError as exc:
            message = str(exc.args[0] if exc.args else exc)
            message = re.sub(r"^Unknown RPC error: -?\d+ ", "", message)  # the Java exception
            raise DeviceError(
                f"{what} failed: the automation server answered with an error ({message})",
                self.serial,
            ) from exc
        except u2errors.BaseException as exc:
            raise DeviceError(f"{what} failed: {exc}", self.serial) from exc
        except (AdbError, OSError, EOFError, TimeoutError, http.client.HTTPException) as exc:
            error = _translate(exc, self.serial, what, self.adb.server.where)
            error = self.adb._blame(error, what, self.serial)
            if isinstance(error, DeviceOffline | DeviceNotFound | AdbServerDown):
                forget_server(self.serial)  # the phone went away: its connection is stale
            raise error from exc

    def _unavailable(self, problem: str, what: str) -> AutomationUnavailable:
        forget_server(self.serial)  # the next task tries a fresh start
        if what == STARTING:
            reason = f"the automation server (uiautomator2) cannot start on this phone: {problem}"
        else:
            reason = (
                f"the automation server (uiautomator2) stopped while {what} and could not be "
                f"restarted: {problem}"
            )
        self._automation_error = AutomationUnavailable(reason, self.serial)
        return self._automation_error

    def ui_xml(self) -> str:
        """The whole screen's view hierarchy (every window: the app, dialogs, system bars) as
        the uiautomator2 server dumps it, without waiting for the screen to go idle."""
        return self._call("reading the screen", lambda s: s.dump_hierarchy())

    def dump_ui(self) -> UiNode:
        """The current screen's view hierarchy as UiNodes."""
        return parse_hierarchy(self.ui_xml())

    def screenshot(self) -> bytes:
        """The screen as PNG bytes, through the server (adb's screencap when it has none)."""
        image = self._call("taking a screenshot", lambda s: s.screenshot())
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()

    def tap(self, x: int, y: int) -> None:
        self._call(f"tapping at {x},{y}", lambda s: s.jsonrpc.click(int(x), int(y)))

    def long_press(self, x: int, y: int, seconds: float = 0.8) -> None:
        ms = int(seconds * 1000)
        self._call(f"pressing at {x},{y}", lambda s: s.jsonrpc.click(int(x), int(y), ms))

    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None:
        steps = max(2, round(duration_ms / 5))  # uiautomator moves one step every 5 ms
        points = (int(x1), int(y1), int(x2), int(y2))
        self._call("swiping", lambda s: s.jsonrpc.swipe(*points, steps))

    def press_key(self, key: str | int) -> None:
        """A key by code or name (``KEYCODE_ENTER``, ``ENTER``, ``BACK``, ``HOME``…)."""
        code = key if isinstance(key, int) else KEYCODES[key.upper().removeprefix("KEYCODE_")]
        self._call(f"pressing {key}", lambda s: s.jsonrpc.pressKeyCode(code))

    def focused_text(self) -> str | None:
        """The text of the field that has the input focus (as the app holds it: emoji and all),
        None when no field has the focus or it is empty."""

        def read(server: _ServerClient) -> str | None:
            try:
                return server.jsonrpc.getText(server(focused=True).selector)
            except u2errors.UiObjectNotFoundError:
                return None

        return self._call("reading the focused field", read)

    # -- typing --------------------------------------------------------------------------------

    def keyboard_installed(self) -> bool:
        """Whether uiautomator2's keyboard app is installed (its input method is listed)."""
        return KEYBOARD_IME in self.shell(["ime", "list", "-s", "-a"]).split()

    def install_keyboard(self) -> None:
        """Install uiautomator2's keyboard app from the APK in its wheel, as the library does
        when it first needs it, and wait until its input method is listed."""
        target = f"/data/local/tmp/{KEYBOARD_APK.name}"
        self.push(KEYBOARD_APK, target)
        code, out = self.shell_status(
            ["pm", "install", "-r", "-t", target], timeout=max(self.adb.timeout, 120)
        )
        self.shell(["rm", "-f", target])
        if code != 0 or "Success" not in out:
            raise DeviceError(
                f"could not install the keyboard app {KEYBOARD_PACKAGE}: {_last_line(out)} "
                '(some phones need "Install via USB" allowed in the developer options)',
                self.serial,
            )
        deadline = time.monotonic() + 5
        while not self.keyboard_installed():
            if time.monotonic() > deadline:
                raise DeviceError(
                    "the keyboard app installed but its input method never showed", self.serial
                )
            time.sleep(0.2)

    def type_text(self, text: str, *, keyboard: bool = True) -> None:
        """Make the focused field hold ``text`` exactly (any Unicode, line breaks included):
        through uiautomator2's keyboard app (installed: see install_keyboard), or with
        ``keyboard=False`` by pasting it from the clipboard. What was in the field is replaced."""
        if keyboard:
            self._keyboard_set_text(text)
        else:
            self._paste(text)

    def _keyboard_set_text(self, text: str) -> None:
        encoded = base64.b64encode(text.encode()).decode()
        for attempt in range(4):
            # Nobody receives it (result 0, nothing typed) unless the keyboard is the current
            # input method: then select it, and give a freshly selected one a moment.
            if self._broadcast("ADB_KEYBOARD_SET_TEXT", text=encoded) == BROADCAST_OK:
                break
            if attempt == 0:
                self.shell(f"ime enable {KEYBOARD_IME}; ime set {KEYBOARD_IME}")
            elif attempt < 3:
                time.sleep(0.5)
        else:
            raise DeviceError(
                "the keyboard app did not take the text (nobody received its broadcast); is "
                "another input method forced on this phone?",
                self.serial,
            )
        self._broadcast("ADB_KEYBOARD_HIDE")  # keep the buttons under the keyboard tappable

    def _broadcast(self, action: str, **extras: str) -> int | None:
        args = ["am", "broadcast", "-a", action]
        for key, value in extras.items():
            args += ["--es", key, value]
        result = re.search(r"result=(-?\d+)", self.shell(args))
        return int(result.group(1)) if result else None

    def _paste(self, text: str) -> None:
        def paste(server: _ServerClient) -> None:
            server.set_clipboard(text)
            if server.clipboard != text:
                raise DeviceError("the phone's clipboard did not take the text", self.serial)
            server.jsonrpc.clearInputText()
            server.jsonrpc.pasteClipboard()

        self._call("pasting text", paste)

    # -- apps ----------------------------------------------------------------------------------

    def app_start(self, package: str, activity: str | None = None) -> None:
        """Launch an app (its launcher activity unless ``activity`` is given)."""
        if activity:
            code, out = self.shell_status(["am", "start", "-n", f"{package}/{activity}"])
        else:
            args = ["monkey", "-p", package, "-c", "android.intent.category.LAUNCHER", "1"]
            code, out = self.shell_status(args)
        if code != 0 or "Error" in out:
            raise DeviceError(f"could not start {package}: {out.strip()[:200]}", self.serial)

    def app_stop(self, package: str) -> None:
        self.shell(["am", "force-stop", package])

    def app_current(self) -> tuple[str, str] | None:
        """(package, activity) of the focused window, or None when nothing is focused."""
        out = self.shell("dumpsys window windows | grep mCurrentFocus")
        m = re.search(r"mCurrentFocus=Window\{.*\s+([^\s/]+)/([^\s}]+)\}", out)
        return (m.group(1), m.group(2)) if m else None

    def open_url(self, url: str, package: str | None = None) -> None:
        args = ["am", "start", "-a", "android.intent.action.VIEW", "-d", url]
        self.shell(args + (["-p", package] if package else []))

    def packages(self, third_party: bool = False) -> dict[str, str]:
        """Installed packages -> versionName ("" when unknown), in one shell round trip."""
        flag = " -3" if third_party else ""
        out = self.shell(
            f"pm list packages{flag}; dumpsys package packages | grep -E "
            "'^  Package \\[|versionName='"
        )
        names = re.findall(r"^package:(\S+)\s*$", out, re.M)
        versions: dict[str, str] = {}
        current = None
        for line in out.splitlines():
            if m := re.match(r"\s*Package \[([^\]]+)\]", line):
                current = m.group(1)
            elif current and (m := re.search(r"versionName=(\S+)", line)):
                versions.setdefault(current, "" if m.group(1) == "null" else m.group(1))
        return {name: versions.get(name, "") for name in sorted(names)}

    def app_version(self, package: str) -> str | None:
        """versionName of an installed app, None when it is not installed."""
        out = self.shell(["dumpsys", "package", package])
        m = re.search(r"versionName=(\S+)", out)
        return m.group(1) if m and m.group(1) != "null" else None

    # -- facts ---------------------------------------------------------------------------------

    def getprop(self, name: str) -> str:
        return self.shell(["getprop", name])

    def info(self) -> DeviceInfo:
        """Model, brand, Android version, SDK, screen and battery in one shell round trip."""
        props = (
            "ro.product.model",
            "ro.product.brand",
            "ro.build.version.release",
            "ro.build.version.sdk",
        )
        script = "; ".join([*(f"getprop {p}" for p in props), "wm size", "dumpsys battery"])
        lines = self.shell(script).splitlines()
        model, brand, release, sdk = (lines + [""] * 4)[:4]
        rest = "\n".join(lines[4:])
        size = re.search(r"Override size: (\d+)x(\d+)", rest) or re.search(
            r"Physical size: (\d+)x(\d+)", rest
        )
        level = re.search(r"^\s*level: (\d+)", rest, re.M)
        return DeviceInfo(
            model=model.strip(),
            brand=brand.strip(),
            android_version=release.strip(),
            sdk=int(sdk) if sdk.strip().isdigit() else None,
            screen=(int(size.group(1)), int(size.group(2))) if size else None,
            battery=int(level.group(1)) if level else None,
        )


# -- the uiautomator2 server ---------------------------------------------------------------------

# The `what` of a first start, as opposed to a call that restarts a server that stopped.
STARTING = "starting the automation server"


class _ServerClient(uiautomator2.Device):
    """uiautomator2's own client for one phone, with our time limits. Creating it does what
    ``uiautomator2.connect()`` does: push u2.jar when its md5 differs, launch the server with
    `app_process` over a streaming shell, wait for /ping."""

    def __init__(
        self, device: adbutils.AdbDevice, *, start_timeout: float, call_timeout: float
    ) -> None:
        self._start_timeout = start_timeout
        self._call_timeout = call_timeout
        super().__init__(device)

    def _wait_ready(self, launch_timeout: float = 30) -> None:
        super()._wait_ready(min(launch_timeout, self._start_timeout))

    def jsonrpc_call(self, method: str, params=None, timeout: float = 10):
        limit = min(timeout, self._call_timeout)  # the library's default is 300 s
        try:
            return super().jsonrpc_call(method, params, limit)
        except (ConnectionError, http.client.HTTPException):
            # The library restarts the server when the tunnel is refused; a server killed while
            # it answered drops the connection instead. Same remedy, once.
            log.warning("uiautomator2 server on %s dropped a call; restarting it", self._serial)
            self.stop_uiautomator()
            self.start_uiautomator()
            return super().jsonrpc_call(method, params, limit)


# One connection per phone per process: (adb host, adb port, serial) -> client.
_clients: dict[tuple[str, int, str], _ServerClient] = {}
_clients_lock = threading.Lock()


def forget_server(serial: str) -> None:
    """Drop this process's connection to ``serial``'s server (the phone went away, or the
    server could not start): the next use connects, and starts it, afresh."""
    with _clients_lock:
        for key in [k for k in _clients if k[2] == serial]:
            del _clients[key]


def _launch_failure(exc: u2errors.LaunchUiAutomationError) -> str:
    summary = str(exc.args[0]) if exc.args else "it quit"
    output = str(exc.args[1]).strip() if len(exc.args) > 1 else ""
    if "not ready" in summary:
        return f"it did not answer within {SERVER_START_TIMEOUT:.0f} s of starting"
    return _last_line(output) or summary


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _cmdline(command: str | Sequence[str]) -> str:
    return command if isinstance(command, str) else " ".join(shlex.quote(a) for a in command)


def _short(command: str | Sequence[str]) -> str:
    text = _cmdline(command)
    return repr(text if len(text) <= 60 else text[:57] + "...")


__all__ = [
    "Adb",
    "AdbServer",
    "AdbServerDown",
    "AutomationUnavailable",
    "DeviceError",
    "DeviceInfo",
    "DeviceListing",
    "DeviceNotFound",
    "DeviceOffline",
    "DeviceTimeout",
    "DeviceUnauthorized",
    "PhoneLink",
    "UiNode",
    "adb_binary",
    "as_dumped",
    "forget_server",
    "open_device",
    "parse_hierarchy",
    "server_address",
]
