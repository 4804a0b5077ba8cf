"""The device side of one ADB transport (one TCP connection from the adb server).

Handles the CNXN/AUTH handshake and multiplexes streams (OPEN/OKAY/WRTE/CLSE) with ADB's flow
control: at most one WRTE in flight per direction per stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from phonesim import protocol as p

if TYPE_CHECKING:
    from phonesim.phone import Phone

log = logging.getLogger(__name__)

# Beyond this many unread bytes we hold back our OKAY, so a fast host cannot fill our memory.
_HIGH_WATER = 512 * 1024

Handler = Callable[["Stream"], Awaitable[None]]


class Stream:
    """One ADB stream as a byte pipe; payload boundaries carry no meaning."""

    def __init__(self, transport: Transport, local_id: int, remote_id: int) -> None:
        self.transport = transport
        self.local_id = local_id
        self.remote_id = remote_id
        self._inbox = bytearray()
        self._readable = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()  # the OPEN counts as the host's first "ready"
        self._okay_owed = False
        self.closed = False  # set when either side closed the stream

    # -- called by the transport -----------------------------------------------------------------

    def on_write(self, data: bytes) -> None:
        self._inbox += data
        self._readable.set()
        if len(self._inbox) < _HIGH_WATER:
            self._ack()
        else:
            self._okay_owed = True

    def on_okay(self) -> None:
        self._writable.set()

    def on_close(self) -> None:
        self.closed = True
        self._readable.set()
        self._writable.set()

    def _ack(self) -> None:
        self.transport.send(p.Message(p.A_OKAY, self.local_id, self.remote_id))

    # -- used by services --------------------------------------------------------------------------

    async def read(self, limit: int = 65536) -> bytes:
        """Up to ``limit`` bytes; b"" once the host closed the stream and the inbox is empty."""
        while not self._inbox and not self.closed:
            self._readable.clear()
            await self._readable.wait()
        data = bytes(self._inbox[:limit])
        del self._inbox[:limit]
        if self._okay_owed and len(self._inbox) < _HIGH_WATER and not self.closed:
            self._okay_owed = False
            self._ack()
        return data

    async def readexactly(self, n: int) -> bytes:
        chunks, missing = [], n
        while missing:
            chunk = await self.read(missing)
            if not chunk:
                raise EOFError(f"stream closed with {missing} of {n} bytes missing")
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    async def write(self, data: bytes) -> None:
        step = self.transport.max_payload
        view = memoryview(data)
        for start in range(0, len(view), step):
            await self._writable.wait()
            if self.closed:
                raise ConnectionResetError("stream closed by host")
            self._writable.clear()
            chunk = bytes(view[start : start + step])
            self.transport.send(p.Message(p.A_WRTE, self.local_id, self.remote_id, chunk))
            await self.transport.drain()

    async def close(self) -> None:
        """Close from our side (output finished). Waits for the last WRTE to be acknowledged."""
        if self.closed:
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._writable.wait(), timeout=5)
        if not self.closed:
            self.closed = True
            self.transport.send(p.Message(p.A_CLSE, self.local_id, self.remote_id))
        self.transport.forget(self.local_id)


class Transport:
    """Serves one connection until EOF, a protocol error, or ``abort()``."""

    def __init__(
        self,
        phone: Phone,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.phone = phone
        self.reader = reader
        self.writer = writer
        self.online = False
        self.max_payload = p.MAX_PAYLOAD_V1
        self.version = p.A_VERSION_MIN
        self._streams: dict[int, Stream] = {}
        self._tasks: dict[int, asyncio.Task] = {}
        self._next_id = 1

    # -- sending -------------------------------------------------------------------------------

    def send(self, msg: p.Message) -> None:
        if self.writer.is_closing():
            return
        data = p.pack(msg, with_checksum=self.version < p.A_VERSION_SKIP_CHECKSUM)
        self.writer.write(data)

    async def drain(self) -> None:
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()

    def forget(self, local_id: int) -> None:
        self._streams.pop(local_id, None)
        self._tasks.pop(local_id, None)

    # -- receiving -----------------------------------------------------------------------------

    async def serve(self) -> None:
        try:
            while True:
                msg = await self._read_message()
                await self._dispatch(msg)
        except (asyncio.IncompleteReadError, ConnectionError, p.ProtocolError) as exc:
            log.debug("%s: transport ends: %s", self.phone.serial, exc)
        finally:
            self.abort()

    async def _read_message(self) -> p.Message:
        command, arg0, arg1, length = p.unpack_header(await self.reader.readexactly(24))
        if length > max(p.MAX_PAYLOAD, p.MAX_PAYLOAD_V1):
            raise p.ProtocolError(f"payload of {length} bytes is over our maxdata")
        payload = await self.reader.readexactly(length) if length else b""
        return p.Message(command, arg0, arg1, payload)

    async def _dispatch(self, msg: p.Message) -> None:
        if msg.command == p.A_CNXN:
            self._on_connect(msg)
        elif msg.command == p.A_AUTH:
            self._on_auth(msg)
        elif not self.online:
            return  # protocol.txt: ignore everything before the handshake completes
        elif msg.command == p.A_OPEN:
            self._on_open(msg)
        elif msg.command == p.A_WRTE:
            stream = self._streams.get(msg.arg1)
            if stream is not None:
                stream.on_write(msg.payload)
        elif msg.command == p.A_OKAY:
            stream = self._streams.get(msg.arg1)
            if stream is not None:
                stream.remote_id = msg.arg0
                stream.on_okay()
        elif msg.command == p.A_CLSE:
            self._on_host_close(msg.arg1)

    def _on_connect(self, msg: p.Message) -> None:
        self.version = min(msg.arg0, p.A_VERSION)
        self.max_payload = max(p.MAX_PAYLOAD_V1, min(msg.arg1, p.MAX_PAYLOAD))
        self.online = False
        if self.phone.unauthorized:
            self._send_token()
        else:
            self._accept()

    def _on_auth(self, msg: p.Message) -> None:
        if msg.arg0 == p.AUTH_SIGNATURE:
            # An "unauthorized" phone rejects every key: a fresh token makes the host try the next.
            if self.phone.unauthorized:
                self._send_token()
            else:
                self._accept()
        # AUTH_RSAPUBLICKEY: a real phone now shows "Allow USB debugging?"; we never answer.

    def _send_token(self) -> None:
        self.send(p.Message(p.A_AUTH, p.AUTH_TOKEN, 0, os.urandom(p.TOKEN_SIZE)))

    def _accept(self) -> None:
        self.online = True
        banner = self.phone.banner().encode()[: p.MAX_PAYLOAD_V1]
        self.send(p.Message(p.A_CNXN, p.A_VERSION, p.MAX_PAYLOAD, banner))

    def _on_open(self, msg: p.Message) -> None:
        service = msg.payload.rstrip(b"\0").decode("utf-8", "replace")
        handler = self.phone.service_handler(service)
        if handler is None:
            log.debug("%s: refusing service %r", self.phone.serial, service)
            self.send(p.Message(p.A_CLSE, 0, msg.arg0))
            return
        local_id = self._next_id
        self._next_id += 1
        stream = Stream(self, local_id, msg.arg0)
        self._streams[local_id] = stream
        self.send(p.Message(p.A_OKAY, local_id, msg.arg0))
        self._tasks[local_id] = asyncio.create_task(self._run(stream, handler))

    async def _run(self, stream: Stream, handler: Handler) -> None:
        try:
            await handler(stream)
        except (ConnectionError, EOFError):
            pass
        except Exception:
            log.exception("%s: service crashed", self.phone.serial)
        finally:
            await stream.close()

    def _on_host_close(self, local_id: int) -> None:
        stream = self._streams.pop(local_id, None)
        task = self._tasks.pop(local_id, None)
        if stream is not None:
            stream.on_close()  # nothing answers a CLSE
        if task is not None:
            task.cancel()  # the client hung up (e.g. its timeout): stop the fake command

    def abort(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        for stream in list(self._streams.values()):
            stream.on_close()
        self._streams.clear()
        self._tasks.clear()
        if not self.writer.is_closing():
            self.writer.close()
