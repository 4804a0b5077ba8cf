"""ADB transport framing: constants and the 24-byte message header (all little-endian)."""

from __future__ import annotations

import struct
from dataclasses import dataclass


def _cmd(name: bytes) -> int:
    return int.from_bytes(name, "little")


A_CNXN = _cmd(b"CNXN")
A_AUTH = _cmd(b"AUTH")
A_OPEN = _cmd(b"OPEN")
A_OKAY = _cmd(b"OKAY")
A_CLSE = _cmd(b"CLSE")
A_WRTE = _cmd(b"WRTE")

A_VERSION_MIN = 0x01000000
A_VERSION_SKIP_CHECKSUM = 0x01000001
A_VERSION = 0x01000001

# What we offer; the host takes min(ours, its own). 256 KiB keeps per-phone buffers small.
MAX_PAYLOAD = 256 * 1024
# CNXN/AUTH payloads must fit the smallest maxdata, because the peer's is not known yet.
MAX_PAYLOAD_V1 = 4096

AUTH_TOKEN = 1
AUTH_SIGNATURE = 2
AUTH_RSAPUBLICKEY = 3
TOKEN_SIZE = 20

HEADER = struct.Struct("<6I")


@dataclass(frozen=True, slots=True)
class Message:
    command: int
    arg0: int
    arg1: int
    payload: bytes = b""

    @property
    def name(self) -> str:
        return self.command.to_bytes(4, "little").decode("ascii", "replace")


def checksum(payload: bytes) -> int:
    """The header's 'crc32' field is really the plain byte sum (uint32)."""
    return sum(payload) & 0xFFFFFFFF


def pack(msg: Message, *, with_checksum: bool = True) -> bytes:
    # Hosts >= A_VERSION_SKIP_CHECKSUM never check the field; summing MBs would cost CPU.
    crc = checksum(msg.payload) if with_checksum else 0
    magic = msg.command ^ 0xFFFFFFFF
    header = HEADER.pack(msg.command, msg.arg0, msg.arg1, len(msg.payload), crc, magic)
    return header + msg.payload


class ProtocolError(Exception):
    """The peer sent something we must drop the connection for."""


def unpack_header(raw: bytes) -> tuple[int, int, int, int]:
    """Return (command, arg0, arg1, data_length); raise ProtocolError on a bad magic."""
    command, arg0, arg1, length, _crc, magic = HEADER.unpack(raw)
    if magic != command ^ 0xFFFFFFFF:
        raise ProtocolError(f"bad magic for command {command:#x}")
    return command, arg0, arg1, length
