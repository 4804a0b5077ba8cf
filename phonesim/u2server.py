"""The uiautomator2 server (u2.jar, `com.wetest.uia2.Main`) as a process on the simulated phone.

The real client (python `uiautomator2` 3.x, research real-app-ui.md §5.1) pushes u2.jar to
/data/local/tmp, runs `CLASSPATH=/data/local/tmp/u2.jar app_process / com.wetest.uia2.Main
[-p PORT]` through a streaming `shell:` whose output it watches, then opens adb's `tcp:<port>`
stream for every HTTP request. So here:
- `run()` is the app_process process: it prints the server's log lines while it runs, takes the
  phone's one UiAutomation connection, listens on its port (default 9008) and keeps the shell
  stream open until /stop, a kill, or the host closing that stream (adbd hangs up the process);
- while it listens, `tcp:<port>` streams reach `serve_connection()`, a small NanoHTTPD: GET /ping
  -> "pong", POST /jsonrpc/0 (u2rpc.py), /screenshot/0 (PNG), /stop; other paths 404.
Its messages and exit paths follow U2S `Main.java` / `AutomatorHttpServer.java`.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
from email.utils import formatdate
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from phonesim import u2rpc

if TYPE_CHECKING:
    from phonesim.phone import Phone
    from phonesim.shell.registry import Context
    from phonesim.transport import Stream

MAIN_CLASS = "com.wetest.uia2.Main"
DEFAULT_PORT = 9008
TMPDIR = "/data/local/tmp/u2"
LOG = "[server] INFO: "
ALREADY_REGISTERED = (
    "java.lang.IllegalStateException: UiAutomationService "
    "android.accessibilityservice.IAccessibilityServiceClient$Stub$Proxy@{token}"
    "already registered!\n"
    "\tat android.os.Parcel.createExceptionOrNull(Parcel.java:3030)\n"
    "\tat android.os.Parcel.createException(Parcel.java:3006)\n"
    "\tat android.os.Parcel.readException(Parcel.java:2989)\n"
    "\tat android.app.IUiAutomationConnection$Stub$Proxy.connect(IUiAutomationConnection.java:"
    "427)\n"
    "\tat android.app.UiAutomation.connect(UiAutomation.java:289)\n"
)
KILLED = 137  # 128 + SIGKILL
_STATUS = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}


def already_registered(phone: Phone) -> str:
    return ALREADY_REGISTERED.format(token=f"{phone.pid * 7919 & 0xFFFFFFF:x}")


class U2Server:
    """One phone's uiautomator2 server process (at most one runs per port)."""

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self.port: int | None = None  # listening (answers /ping) when set
        self.running = False  # the process exists, listening or still starting
        self.launches = 0  # how many processes took UiAutomation (tests count relaunches)
        self.requests: list[str] = []  # "GET /ping", "jsonrpc deviceInfo" … in order
        self.touch: tuple[float, float, float] | None = None  # injectInputEvent DOWN (x, y, t)
        self._stop: asyncio.Event | None = None
        self._bound: int | None = None  # the port this process serves (or will)
        self._exit_code = 0
        self._connections: set[asyncio.Task] = set()

    # -- the process -------------------------------------------------------------------------

    async def run(self, ctx: Context, port: int) -> int:
        """app_process running com.wetest.uia2.Main: returns its exit status."""
        phone = self.phone
        await ctx.stream(LOG + "[UiAutomator2Server] Starting Server\n")
        if phone.faults.u2_launch_error:
            await ctx.stream(phone.faults.u2_launch_error.rstrip("\n") + "\n", fd=2)
            return 1
        if phone.ui_automation_holder() is not None:
            await ctx.stream(already_registered(phone), fd=2)
            return 1
        if port in phone.tcp_ports:
            await ctx.stream(_bind_failed(port), fd=2)
            return 1
        phone.ui_automation = "uiautomator2"
        self.launches += 1
        self.running, self._exit_code, self._bound = True, 0, port
        self._stop = stop = asyncio.Event()
        try:
            phone.fs.mkdir(TMPDIR, parents=True)
            await ctx.stream(LOG + f"tmpdir is {TMPDIR}\n")
            if phone.faults.u2_start_delay:  # the port opens late: /ping is refused meanwhile
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), phone.faults.u2_start_delay)
            if not stop.is_set():
                phone.tcp_ports[port] = self.serve_connection
                self.port = port
                await ctx.stream(LOG + f"http server listening on *:{port}\n")
                await stop.wait()
            return self._exit_code
        finally:
            self._shut_down()  # also when the host hung up the shell (the task is cancelled)
            if self._stop is stop:
                self._stop = None

    def _shut_down(self) -> None:
        """The process is gone: port closed, UiAutomation free, its sockets reset. Idempotent."""
        phone, port = self.phone, self._bound
        if port is not None and phone.tcp_ports.get(port) == self.serve_connection:
            del phone.tcp_ports[port]
        if phone.ui_automation == "uiautomator2":
            phone.ui_automation = None
        self.port, self.running, self._bound = None, False, None
        current = asyncio.current_task()
        for task in list(self._connections):
            if task is not current:
                task.cancel()

    async def kill(self) -> None:
        """SIGKILL: no goodbye, the port closes, app_process exits 137."""
        self._end(KILLED)

    def _end(self, code: int) -> None:
        """Stop now (nothing reaches the port after this) and let app_process exit with code."""
        stop = self._stop
        if stop is not None:
            self._exit_code = code
            self._shut_down()
            self._stop = None
            stop.set()

    # -- HTTP (NanoHTTPD) --------------------------------------------------------------------

    async def serve_connection(self, stream: Stream) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        reader = _RequestReader(stream)
        try:
            while (request := await reader.next()) is not None:
                method, target, body = request
                status, mime, payload, stop = await self._route(method, target, body)
                await stream.write(_response(status, mime, payload, chunked=mime == "image/png"))
                if stop:
                    self._end(0)
                    return
        finally:
            if task is not None:
                self._connections.discard(task)

    async def _route(self, method: str, target: str, body: bytes) -> tuple[int, str, bytes, bool]:
        url = urlsplit(target)
        if url.path != "/jsonrpc/0":
            self.requests.append(f"{method} {url.path}")  # JSON-RPC calls log their method
        if url.path == "/stop":
            return 200, "text/html", b"Server stopped!!!", True
        if url.path == "/ping":
            return 200, "text/html", b"pong", False
        if url.path == "/screenshot/0":
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            return 200, "image/png", _screenshot(self.phone, query), False
        if url.path == "/jsonrpc/0":
            if not body:
                return 500, "text/plain", b"Invalid http post data!", False
            answer = await u2rpc.handle(self, body)
            return 200, "application/json", json.dumps(answer).encode(), False
        return 404, "text/plain", b"Not Found!!!", False


def _bind_failed(port: int) -> str:
    return (
        f"java.net.BindException: bind failed: EADDRINUSE (Address already in use)\n"
        f"\tat fi.iki.elonen.NanoHTTPD.start(NanoHTTPD.java:2310)\n"
        f"\tat com.wetest.uia2.Main.runServer(Main.java:120) [port {port}]\n"
    )


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value is not None else default
    except ValueError:
        return default


def _screenshot(phone: Phone, query: dict[str, str]) -> bytes:
    """UiDevice.takeScreenshot(file, scale, quality): a PNG, scaled."""
    from PIL import Image

    png = phone.ui.screencap_png()
    scale = _float(query.get("scale"), 1.0)
    if scale == 1.0:
        return png
    image = Image.open(io.BytesIO(png))
    w, h = image.size
    out = io.BytesIO()
    image.resize((max(1, round(w * scale)), max(1, round(h * scale)))).save(out, "PNG")
    return out.getvalue()


def _response(status: int, mime: str, payload: bytes, *, chunked: bool = False) -> bytes:
    head = [
        f"HTTP/1.1 {status} {_STATUS.get(status, 'OK')}",
        f"Content-Type: {mime}",
        f"Date: {formatdate(time.time(), usegmt=True)}",
        "Connection: keep-alive",
    ]
    if chunked:  # newChunkedResponse, as NanoHTTPD sends the screenshot
        head.append("Transfer-Encoding: chunked")
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload) if payload else b"0\r\n\r\n"
    else:
        head.append(f"Content-Length: {len(payload)}")
        body = payload
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class _RequestReader:
    """HTTP/1.1 requests off an adb stream: request line, headers, Content-Length body."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.buffer = b""

    async def _fill(self) -> bool:
        chunk = await self.stream.read()
        self.buffer += chunk
        return bool(chunk)

    async def next(self) -> tuple[str, str, bytes] | None:
        while b"\r\n\r\n" not in self.buffer:
            if not await self._fill():
                return None
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, target = (lines[0].split(" ") + ["", ""])[:2]
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])
        }
        length = int(headers.get("content-length", "0") or 0)
        while len(self.buffer) < length:
            if not await self._fill():
                return None
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return method, target, body
