"""The device layer: everything the product does to phones goes through here.

This is the only module that imports adbutils. Every call has a timeout (seconds of silence on
the adb socket, not a total deadline), and every adbutils/socket error comes out as one of our
own exceptions with a message a person can act on:

    DeviceError            base class (refused service, bad reply …)
    ├── AdbServerDown      the adb server itself does not answer (not running, restarting,
    │                      frozen): no phone is to blame
    ├── DeviceOffline      the phone is listed but not answering ("offline"), or it dropped
    ├── DeviceUnauthorized the phone has not accepted this computer's USB-debugging key
    ├── DeviceNotFound     the adb server does not know this serial
    └── DeviceTimeout      the phone did not answer within the timeout

A timeout or a dropped connection could be the phone's doing or the server's: a bounded health
check of the server (``host:version``, :meth:`Adb.server_answers`) decides which.

Typical use::

    adb = Adb()                      # settings.ADB_SERVER_HOST / ADB_SERVER_PORT
    adb.server.ensure_running()
    phone = adb.device("127.0.0.1:40001")
    root = phone.dump_ui()
    phone.tap_node(root.find(resource_id="com.zhiliaoapp.musically:id/follow_button"))
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import select
import shlex
import socket
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import adbutils
from adbutils._adb import AdbConnection
from adbutils._device_base import _DEFAULT_SOCKET_TIMEOUT
from adbutils.errors import AdbConnectionError, AdbError, AdbTimeout

DEFAULT_TIMEOUT = 20.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MEDIA_SCAN = "android.intent.action.MEDIA_SCANNER_SCAN_FILE"


# -- errors ------------------------------------------------------------------------------------


class DeviceError(Exception):
    """Something went wrong talking to a phone or to the adb server."""

    def __init__(self, message: str, serial: str | None = None) -> None:
        super().__init__(f"{serial}: {message}" if serial else message)
        self.serial = serial


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


def input_text_commands(text: str) -> list[str]:
    """Shell commands that make `input text` type ``text`` exactly (printable ASCII only).

    Android's `input text` turns every "%s" into a space, so spaces are sent as %s, and a literal
    "%s" is split across two commands ("…%" then "s…"). shlex.quote single-quotes the argument,
    which neutralises every other shell-special character, including the quote itself.
    """
    if any(not (32 <= ord(c) < 127) for c in text):
        raise ValueError("input text only types printable ASCII; use type_unicode() for the rest")
    pieces = text.split("%s")
    chunks = [p + "%" for p in pieces[:-1]] + [pieces[-1]]
    chunks = [chunks[0]] + ["s" + c for c in chunks[1:]]
    return [f"input text {shlex.quote(c.replace(' ', '%s'))}" for c in chunks if c]


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
            raise self._blame(error, what, serial) from exc

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
    Cheap to create, holds no open connection; methods are thin: one or two round trips each."""

    def __init__(self, adb: Adb, serial: str) -> None:
        self.adb = adb
        self.serial = serial
        self._dev = adbutils.AdbDevice(adb._client, serial=serial)

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

    def media_scan(self, path: str) -> None:
        """Make a pushed photo/video show up in the gallery (MediaStore)."""
        uri = "file://" + path
        self.shell(["am", "broadcast", "-a", MEDIA_SCAN, "-d", uri])

    # -- screen --------------------------------------------------------------------------------

    def screenshot_png(self, timeout: float | None = None) -> bytes:
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

    def ui_xml(self, timeout: float | None = None) -> str:
        """The current screen's `uiautomator dump` XML (dumped to a file, read over sync)."""
        target = "/data/local/tmp/uidump.xml"
        out = self.shell(f"rm -f {target}; uiautomator dump {target} && echo success", timeout)
        if "ERROR" in out or "success" not in out:
            raise DeviceError(f"uiautomator dump failed: {out.strip()[:200]}", self.serial)
        return self.read_bytes(target).decode("utf-8", "replace")

    def dump_ui(self, timeout: float | None = None) -> UiNode:
        """The current screen's view hierarchy as UiNodes."""
        return parse_hierarchy(self.ui_xml(timeout))

    ui_tree = dump_ui

    # -- input ---------------------------------------------------------------------------------

    def tap(self, x: int, y: int) -> None:
        self.shell(["input", "tap", str(int(x)), str(int(y))])

    def tap_node(self, node: UiNode) -> None:
        self.tap(*node.centre)

    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None:
        self.shell(["input", "swipe", *(str(int(v)) for v in (x1, y1, x2, y2, duration_ms))])

    def text(self, text: str) -> None:
        """Type printable ASCII into the focused field, byte-exact (see input_text_commands)."""
        commands = input_text_commands(text)
        if commands:
            self.shell(" && ".join(commands))

    input_text = text

    def type_unicode(self, text: str) -> None:
        """Type any text through the ADB Keyboard IME (must be installed and selected)."""
        encoded = base64.b64encode(text.encode()).decode()
        self.shell(["am", "broadcast", "-a", "ADB_INPUT_B64", "--es", "msg", encoded])

    def keyevent(self, code: int | str) -> None:
        self.shell(["input", "keyevent", str(code)])

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


def _cmdline(command: str | Sequence[str]) -> str:
    return command if isinstance(command, str) else " ".join(shlex.quote(a) for a in command)


def _short(command: str | Sequence[str]) -> str:
    text = _cmdline(command)
    return repr(text if len(text) <= 60 else text[:57] + "...")


__all__ = [
    "Adb",
    "AdbServer",
    "AdbServerDown",
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
    "input_text_commands",
    "open_device",
    "parse_hierarchy",
    "server_address",
]
