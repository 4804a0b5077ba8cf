"""Device services behind OPEN: legacy ``shell:``, ``shell,v2…:``, ``exec:``, ``sync:`` and
``tcp:<port>`` (streams to servers running on the phone, e.g. the uiautomator2 server)."""

from __future__ import annotations

import struct
from functools import partial
from typing import TYPE_CHECKING

from phonesim.shell import Session
from phonesim.sync import serve_sync

if TYPE_CHECKING:
    from phonesim.phone import Phone
    from phonesim.transport import Handler, Stream

# Shell protocol v2 packet ids (shell_protocol.h).
STDIN, STDOUT, STDERR, EXIT, CLOSE_STDIN, WINDOW_SIZE = range(6)


def resolve(phone: Phone, service: str) -> Handler | None:
    """Pick the handler for a service string, or None to refuse it with CLSE."""
    if service.startswith("shell:") or service.startswith("shell,"):
        options, _, command = service.partition(":")
        v2 = "v2" in options.split(",")[1:]
        if v2 and "shell_v2" in phone.features:
            return partial(shell_v2, phone=phone, command=command)
        return partial(shell_legacy, phone=phone, command=command)
    if service.startswith("exec:"):
        return partial(shell_legacy, phone=phone, command=service[5:])
    if service == "sync:":
        return partial(sync, phone=phone)
    if service.startswith("tcp:"):
        return _tcp(phone, service[4:])
    return None


def _tcp(phone: Phone, address: str) -> Handler | None:
    """A stream to a device-side TCP port (`tcp:<port>`, `tcp:<host>:<port>`), like adbd's
    socket connect: refused (CLSE) when no simulated process listens there."""
    host, _, port = address.rpartition(":")
    if host not in ("", "localhost", "127.0.0.1") or not port.isdigit():
        return None
    return phone.tcp_ports.get(int(port))


async def shell_legacy(stream: Stream, *, phone: Phone, command: str) -> None:
    session = Session(phone)
    phone.commands.append(command)
    if command.strip():
        # Output streams as commands produce it: a server started this way (app_process) shows
        # its log lines while it runs, and the stream only closes when it exits.
        result = await session.run(command, live=lambda _fd, data: stream.write(data))
        await stream.write(result.output)
        return
    await _interactive(stream, session, lambda data: stream.write(data))


async def shell_v2(stream: Stream, *, phone: Phone, command: str) -> None:
    session = Session(phone)
    phone.commands.append(command)
    if not command.strip():
        await _interactive_v2(stream, session)
        return
    result = await session.run(command, live=lambda fd, data: stream.write(_packet(fd, data)))
    out = b"".join(_packet(fd, data) for fd, data in result.chunks if data)
    await stream.write(out + _packet(EXIT, bytes([result.code & 0xFF])))


def _packet(kind: int, data: bytes) -> bytes:
    return struct.pack("<BI", kind, len(data)) + data


async def _interactive(stream: Stream, session: Session, write) -> None:
    """A line-at-a-time shell for `adb shell` without a command (no job control, no editing)."""
    prompt = f"{session.phone.props['ro.product.device']}:/ $ ".encode()
    await write(prompt)
    pending = b""
    while chunk := await stream.read():
        await write(chunk.replace(b"\r", b"\r\n"))  # a PTY echoes what the user types
        pending += chunk.replace(b"\r", b"\n")
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.strip() == b"exit":
                return
            result = await session.run(line.decode(errors="replace"))
            await write(result.output.replace(b"\n", b"\r\n") + prompt)


async def _interactive_v2(stream: Stream, session: Session) -> None:
    buffer = _PacketReader(stream)

    async def write(data: bytes) -> None:
        await stream.write(_packet(STDOUT, data))

    class _Stdin:
        async def read(self) -> bytes:
            return await buffer.stdin()

    await _interactive(_Stdin(), session, write)  # type: ignore[arg-type]
    await stream.write(_packet(EXIT, bytes([session.status & 0xFF])))


class _PacketReader:
    """Turns the host's v2 packets back into stdin bytes (ignores window-size packets)."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream

    async def stdin(self) -> bytes:
        while True:
            try:
                header = await self.stream.readexactly(5)
            except EOFError:
                return b""
            kind, length = struct.unpack("<BI", header)
            data = await self.stream.readexactly(length) if length else b""
            if kind == STDIN and data:
                return data
            if kind == CLOSE_STDIN:
                return b""


async def sync(stream: Stream, *, phone: Phone) -> None:
    await serve_sync(stream, phone.fs)
