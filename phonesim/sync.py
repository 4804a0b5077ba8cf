"""The ``sync:`` file service, protocol v1 (STAT/LIST/SEND/RECV/QUIT) with adbd's quirks."""

from __future__ import annotations

import stat
import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phonesim.fs import FileSystem
    from phonesim.transport import Stream

SYNC_DATA_MAX = 64 * 1024
MAX_PATH = 1024
_ZERO_DENT = b"DONE" + bytes(16)


class SyncFailed(Exception):
    """Sent to the host as FAIL; adbd stops serving the stream afterwards."""


async def serve_sync(stream: Stream, fs: FileSystem, on_pushed=None) -> None:
    """Serve requests until QUIT or the host closes. ``on_pushed(path)`` runs after each SEND."""
    while True:
        header = await stream.readexactly(8)
        request, length = header[:4], struct.unpack("<I", header[4:])[0]
        if length > MAX_PATH:
            await _fail(stream, "path too long")
            return
        path = (await stream.readexactly(length)).decode("utf-8", "replace")
        if request == b"QUIT":
            return
        try:
            await _handle(stream, fs, request, path, on_pushed)
        except SyncFailed as exc:
            await _fail(stream, str(exc))
            return


async def _handle(stream: Stream, fs: FileSystem, request: bytes, path: str, on_pushed) -> None:
    if request == b"STAT":
        mode, size, mtime = fs.stat(path) or (0, 0, 0)  # missing: all zeros, not FAIL
        await stream.write(b"STAT" + struct.pack("<III", mode, size & 0xFFFFFFFF, mtime))
    elif request == b"LIST":
        await stream.write(_listing(fs, path))
    elif request == b"SEND":
        await _receive_file(stream, fs, path)
        if on_pushed is not None:
            on_pushed(path.rpartition(",")[0])
    elif request == b"RECV":
        await _send_file(stream, fs, path)
    else:
        raise SyncFailed(f"unknown command {request!r}")


def _listing(fs: FileSystem, path: str) -> bytes:
    node = fs.lookup(path)
    out = bytearray()
    if node is not None and node.is_dir:
        entries = [(".", node), ("..", node), *sorted(node.children.items())]
        for name, child in entries:
            raw = name.encode()
            out += b"DENT" + struct.pack("<IIII", child.mode, child.size, child.mtime, len(raw))
            out += raw
    return bytes(out + _ZERO_DENT)  # a missing directory gives just DONE


async def _receive_file(stream: Stream, fs: FileSystem, spec: str) -> None:
    path, comma, mode_text = spec.rpartition(",")
    if not comma:
        raise SyncFailed("missing , in ID_SEND")
    try:
        mode = int(mode_text)
    except ValueError as exc:
        raise SyncFailed("bad mode") from exc
    chunks: list[bytes] = []
    while True:
        header = await stream.readexactly(8)
        kind, value = header[:4], struct.unpack("<I", header[4:])[0]
        if kind == b"DATA":
            if value > SYNC_DATA_MAX:
                raise SyncFailed("data too long")
            chunks.append(await stream.readexactly(value))
        elif kind == b"DONE":
            break
        else:
            raise SyncFailed(f"invalid data message {kind!r}")
    try:
        # adbd creates missing parent directories.
        fs.write(path, b"".join(chunks), mode=stat.S_IMODE(mode), mtime=value, parents=True)
    except OSError as exc:
        raise SyncFailed(f"couldn't create file: {exc.strerror}") from exc
    await stream.write(b"OKAY" + bytes(4))  # one answer per SEND, after DONE


async def _send_file(stream: Stream, fs: FileSystem, path: str) -> None:
    try:
        data = fs.read(path)
    except OSError as exc:
        raise SyncFailed(f"open failed: {exc.strerror}") from exc
    # Several DATA records per WRTE: fewer round trips, same bytes on the wire.
    batch = bytearray()
    for start in range(0, len(data), SYNC_DATA_MAX):
        chunk = data[start : start + SYNC_DATA_MAX]
        batch += b"DATA" + struct.pack("<I", len(chunk)) + chunk
        if len(batch) >= stream.transport.max_payload:
            await stream.write(bytes(batch))
            batch.clear()
    await stream.write(bytes(batch + b"DONE" + bytes(4)))


async def _fail(stream: Stream, message: str) -> None:
    raw = message.encode()
    await stream.write(b"FAIL" + struct.pack("<I", len(raw)) + raw)
