"""One simulated phone: its state, its listening socket and its fault switches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from phonesim import services
from phonesim.fs import FileSystem
from phonesim.keyboards import LATIN_IME, InputMethods
from phonesim.media import MediaStore
from phonesim.models import DEFAULT_MODEL, lookup
from phonesim.transport import Handler, Transport
from phonesim.u2server import U2Server
from phonesim.ui import PhoneUI

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
# The adb server probes these as emulators; a phone listening there would show up twice.
EMULATOR_PORTS = range(5555, 5586)
DEFAULT_FEATURES = ("shell_v2",)
KEY_POWER, KEY_SLEEP, KEY_WAKEUP = 26, 223, 224


def strict_default() -> bool:
    """Phones are as strict as a real Android unless PHONESIM_STRICT=0 (see Phone.strict)."""
    value = os.environ.get("PHONESIM_STRICT", "1").strip().lower()
    if value not in ("0", "1", "true", "false", "yes", "no", "on", "off", ""):
        raise ValueError(f"PHONESIM_STRICT must be 0 or 1, not {value!r}")
    return value not in ("0", "false", "no", "off")


@dataclass
class Faults:
    """Switches tests flip to make the phone misbehave."""

    delay: float = 0.0  # seconds added before each matching shell command
    slow_commands: frozenset[str] | None = None  # None: every command
    # Commands this ROM lacks: `/system/bin/sh: NAME: not found` (e.g. {"app_process"}).
    missing_commands: frozenset[str] = frozenset()
    # The uiautomator2 server: seconds from app_process to its port answering /ping …
    u2_start_delay: float = 0.0
    # … or the message app_process prints before it exits 1 instead of serving.
    u2_launch_error: str | None = None
    # Another UiAutomation client (a stale uiautomator, Appium) holds the slot: the u2 server and
    # plain `uiautomator dump` both fail with "UiAutomationService … already registered!".
    foreign_ui_automation: bool = False
    # JSON-RPC methods of the u2 server that throw: method -> Java exception class, answered as
    # -32001 with that class as message, e.g. {"dumpWindowHierarchy": "java.lang.Error"}.
    u2_rpc_errors: dict[str, str] = field(default_factory=dict)
    # A resource-id (short or full): the cable is pulled right after a tap on that element
    # (the tap takes effect; the answer to it may be lost). Once, then it clears itself.
    unplug_after_tap: str = ""

    def delay_for(self, command: str) -> float:
        if self.slow_commands is None or command in self.slow_commands:
            return self.delay
        return 0.0


@dataclass(frozen=True)
class Tap:
    x: int
    y: int
    resource_id: str = ""
    text: str = ""
    content_desc: str = ""


@dataclass
class Phone:
    port: int = 0  # 0: any free port (the OS picks from its ephemeral range, above 32768)
    model: str = DEFAULT_MODEL
    seed: int = 0
    locale: str = "en-US"
    features: tuple[str, ...] = DEFAULT_FEATURES
    unauthorized: bool = False
    installed: dict[str, str] | None = None
    host: str = LOOPBACK
    faults: Faults = field(default_factory=Faults)
    # As strict as a real Android (spec simulator.md, honesty rule 9): `am` rejects unknown
    # options, `input text` types ASCII only, `uiautomator dump` fails on animating screens, an
    # IME broadcast needs that IME selected. False: the simulator's older, lenient behaviour.
    strict: bool = field(default_factory=strict_default)
    # How long plain `uiautomator dump` waits for an animating screen to settle before it gives
    # up. A phone waits up to 10 s (waitForIdle(1000, 10000)); shorter here keeps tests fast.
    idle_timeout: float = 2.0

    def __post_init__(self) -> None:
        if self.port in EMULATOR_PORTS:
            raise ValueError(f"port {self.port} is in the adb emulator range 5555-5585")
        spec = lookup(self.model)
        rng = random.Random(self.seed)
        self.serialno = f"{rng.getrandbits(48):012X}"
        self.physical_size = spec.screen
        self.override_size: tuple[int, int] | None = None
        self.density = spec.density
        self.props = _properties(spec, self.serialno, self.locale)
        self.fs = FileSystem.with_defaults()
        self.ui = PhoneUI(
            self.fs,
            screen=spec.screen,
            installed=self.installed,
            locale=self.locale,
            seed=self.seed,
        )
        self.media = MediaStore()
        self.settings: dict[tuple[str, str], str] = {
            ("system", "screen_brightness"): "128",
            ("secure", "default_input_method"): LATIN_IME,
            ("secure", "enabled_input_methods"): LATIN_IME,
        }
        self.ime = InputMethods(self)
        self.u2 = U2Server(self)
        self.clipboard: str | None = None  # ClipboardManager's primary clip (text)
        self.screen_on = True
        # Who holds the one UiAutomation connection (uiautomator2, a plain dump), if anyone.
        self.ui_automation: str | None = None
        # Device-side TCP ports with a simulated server listening: port -> stream handler.
        self.tcp_ports: dict[int, Handler] = {}
        self.battery = {
            "level": 50 + rng.randint(0, 50),
            "status": 2,
            "usb": True,
            "temperature": 280,
        }
        self.pid = 1000 + rng.randint(0, 30000)
        self.wlan_ip = f"192.168.{1 + self.seed // 250}.{2 + self.seed % 250}"
        self.booted_at = time.monotonic()
        self.booted_wall = time.time()
        self.taps: list[Tap] = []
        self.typed: list[str] = []
        self.commands: list[str] = []  # every shell command line run, in order
        self._server: asyncio.base_events.Server | None = None
        self._transports: set[Transport] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- identity ------------------------------------------------------------------------------

    @property
    def serial(self) -> str:
        """What the adb server calls this phone after `adb connect`."""
        return f"{self.host}:{self.port}"

    @property
    def screen_size(self) -> tuple[int, int]:
        return self.override_size or self.physical_size

    def banner(self) -> str:
        p = self.props
        return (
            f"device::ro.product.name={p['ro.product.name']};"
            f"ro.product.model={p['ro.product.model']};"
            f"ro.product.device={p['ro.product.device']};"
            f"features={','.join(self.features)}"
        )

    def service_handler(self, service: str) -> Handler | None:
        return services.resolve(self, service)

    # -- lifecycle (coroutines, run on the phone's event loop) ---------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._on_client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for transport in list(self._transports):
            transport.abort()
            with contextlib.suppress(Exception):
                transport.writer.transport.abort()
        self._transports.clear()

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        transport = Transport(self, reader, writer)
        self._transports.add(transport)
        try:
            await transport.serve()
        finally:
            self._transports.discard(transport)

    # -- faults (thread-safe; call from tests while a Farm runs the loop) -----------------------

    def unplug(self) -> None:
        """Drop every connection and stop listening, like pulling the cable."""
        self._call(self.stop())

    def replug(self) -> None:
        """Listen again on the same port; the adb server reconnects on its own or via connect."""
        self._call(self.start())

    def set_unauthorized(self, flag: bool = True) -> None:
        """Change the USB-debugging answer; open connections are dropped so the host re-asks."""
        self.unauthorized = flag
        if self.listening:
            self._call(self._drop_connections())

    def slow_down(self, seconds: float, commands: Iterable[str] | None = None) -> None:
        """Delay shell commands (all, or only the named ones); 0 switches it off."""
        slow = frozenset(commands) if commands is not None else None
        self.faults = replace(self.faults, delay=seconds, slow_commands=slow)

    def kill_u2_server(self) -> None:
        """The uiautomator2 server process dies (low-memory killer, a crash): its port closes
        until something launches it again."""
        self._call(self.u2.kill())

    async def _drop_connections(self) -> None:
        for transport in list(self._transports):
            transport.abort()

    def _call(self, coro) -> None:
        loop = self._loop
        if loop is None:
            coro.close()
            raise RuntimeError("the phone was never started")
        if _in_loop(loop):
            loop.create_task(coro)  # on the loop already (e.g. inside a service): just schedule
            return
        asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=10)

    # -- shell helpers -------------------------------------------------------------------------

    def ui_automation_holder(self) -> str | None:
        """Who has UiAutomation registered (only one client may), or None."""
        if self.faults.foreign_ui_automation:
            return "another uiautomator"
        return self.ui_automation

    def press_key(self, code: int | str) -> None:
        """A key event: POWER / WAKEUP / SLEEP switch the screen, the rest go to the apps."""
        key = self.ui._keycode(code)
        if key == KEY_POWER:
            self.screen_on = not self.screen_on
        elif key in (KEY_WAKEUP, KEY_SLEEP):
            self.screen_on = key == KEY_WAKEUP
        else:
            self.ui.keyevent(key)

    def record_tap(self, x: int, y: int) -> None:
        """Note which element a tap hit (deepest node whose bounds contain the point)."""
        try:
            node = _hit(self.ui.dump_xml(), x, y)
        except ET.ParseError:
            node = None
        attrs = node.attrib if node is not None else {}
        self.taps.append(
            Tap(
                x,
                y,
                attrs.get("resource-id", ""),
                attrs.get("text", ""),
                attrs.get("content-desc", ""),
            )
        )
        target = self.faults.unplug_after_tap
        hit = attrs.get("resource-id", "")
        if target and (hit == target or hit.endswith(f":id/{target}")):
            self.faults.unplug_after_tap = ""
            self.unplug()  # on the phone's loop: runs once this command has been handled


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return getattr(loop, "_thread_id", None) == threading.get_ident()


def _bounds(text: str) -> tuple[int, int, int, int] | None:
    try:
        a, b = text.strip("[]").split("][")
        x1, y1 = (int(v) for v in a.split(","))
        x2, y2 = (int(v) for v in b.split(","))
    except ValueError:
        return None
    return x1, y1, x2, y2


def _hit(xml: str, x: int, y: int) -> ET.Element | None:
    best = None
    for node in ET.fromstring(xml).iter("node"):  # document order: deeper/later wins
        box = _bounds(node.get("bounds", ""))
        inside = box is not None and box[0] <= x < box[2] and box[1] <= y < box[3]
        # Prefer the deepest clickable node: a label inside a button still taps the button.
        if inside and (
            best is None or node.get("clickable") == "true" or best.get("clickable") != "true"
        ):
            best = node
    return best


def _properties(spec, serialno: str, locale: str) -> dict[str, str]:
    build = "UQ1A.240205.004/1:user/release-keys"
    fingerprint = f"{spec.brand}/{spec.device}/{spec.device}:{spec.android}/{build}"
    return {
        "ro.product.model": spec.model,
        "ro.product.brand": spec.brand,
        "ro.product.manufacturer": spec.manufacturer,
        "ro.product.name": spec.device,
        "ro.product.device": spec.device,
        "ro.product.cpu.abi": "arm64-v8a",
        "ro.build.version.release": spec.android,
        "ro.build.version.sdk": str(spec.sdk),
        "ro.build.fingerprint": fingerprint,
        "ro.build.type": "user",
        "ro.serialno": serialno,
        "ro.boot.serialno": serialno,
        "persist.sys.locale": locale,
        "ro.product.locale": locale,
        "persist.sys.timezone": "UTC",
        "sys.boot_completed": "1",
        "ro.secure": "1",
        "ro.debuggable": "0",
        "service.adb.tcp.port": "5555",
    }
