"""``python -m phonesim``: simulated phones on loopback ports, ``adb connect``-ed to an adb server.

Needs neither Django nor an adb client library: the connect and disconnect requests go to the adb
server over its smart-socket protocol (``host:connect:127.0.0.1:PORT``) on a plain socket.
``manage.py simulate_phones`` shares its phone options and ``start_phones``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence

from phonesim.farm import Farm
from phonesim.models import DEFAULT_MODEL, MODELS
from phonesim.phone import Phone

ADB_HOST = "127.0.0.1"
ADB_PORT = 5037  # the adb server's default; the adb CLI reads ANDROID_ADB_SERVER_PORT too
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class AdbServerError(Exception):
    """The adb server answered FAIL (its message is the exception's text)."""


def add_phone_arguments(parser: argparse.ArgumentParser) -> None:
    """The phone options of ``python -m phonesim`` and ``manage.py simulate_phones``."""
    parser.add_argument("--count", type=int, default=5, help="how many phones (default 5)")
    parser.add_argument(
        "--base-port",
        type=int,
        default=None,
        help="first TCP port (consecutive, skipping 5555-5585); default: any free ports",
    )
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help=f"model name, e.g. one of: {', '.join(MODELS)} (default {DEFAULT_MODEL})",
    )
    parser.add_argument(
        "--unauthorized", type=int, default=0, help="how many of them refuse USB debugging"
    )


def start_phones(
    farm: Farm,
    count: int,
    base_port: int | None,
    model: str,
    unauthorized: int = 0,
    strict: bool | None = None,
) -> list[Phone]:
    """``count`` phones on ``farm``; the first ``unauthorized`` of them refuse USB debugging.
    ``strict`` None: the Phone default ($PHONESIM_STRICT). Raises OSError when a requested port
    is taken."""
    options = {} if strict is None else {"strict": strict}
    phones = farm.start(count, base_port, model=model, **options)
    for phone in phones[:unauthorized]:
        phone.unauthorized = True
    return phones


# -- the adb server's host services, over a plain socket ------------------------------------------


def host_request(service: str, host: str, port: int, timeout: float = 30) -> str:
    """Send one host service request (e.g. ``host:connect:127.0.0.1:47101``) to the adb server
    and return its answer. Raises AdbServerError on FAIL, OSError when the server is not there."""
    with socket.create_connection((host, port), timeout) as sock:
        request = service.encode()
        sock.sendall(b"%04x" % len(request) + request)
        status = _read(sock, 4)
        if status not in (b"OKAY", b"FAIL"):
            raise AdbServerError(f"unexpected answer from the adb server: {status!r}")
        answer = _read(sock, int(_read(sock, 4), 16)).decode(errors="replace")
    if status == b"FAIL":
        raise AdbServerError(answer)
    return answer


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the adb server closed the connection")
        data += chunk
    return data


def connect(serial: str, host: str = ADB_HOST, port: int = ADB_PORT) -> str:
    """``adb connect SERIAL``: the server's message. Raises AdbServerError when it failed
    (including "failed to authenticate": the phone is then listed as unauthorized)."""
    message = host_request(f"host:connect:{serial}", host, port)
    if "connected to" not in message or message.startswith(("failed", "unable", "cannot")):
        raise AdbServerError(message.strip())
    return message


def disconnect(serial: str, host: str = ADB_HOST, port: int = ADB_PORT) -> None:
    """``adb disconnect SERIAL``; a serial the server does not know is not an error."""
    with contextlib.suppress(AdbServerError):
        host_request(f"host:disconnect:{serial}", host, port)


# -- the command -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m phonesim",
        description="Start simulated Android phones and `adb connect` them; stop with Ctrl+C.",
    )
    add_phone_arguments(parser)
    parser.add_argument(
        "--adb-host", default=ADB_HOST, help=f"the adb server's address (default {ADB_HOST})"
    )
    parser.add_argument(
        "--adb-port",
        type=int,
        default=int(os.environ.get("ANDROID_ADB_SERVER_PORT") or ADB_PORT),
        help=f"the adb server's port (default $ANDROID_ADB_SERVER_PORT or {ADB_PORT})",
    )
    parser.add_argument(
        "--no-connect",
        action="store_true",
        help="only listen: connect them yourself with `adb connect 127.0.0.1:PORT`",
    )
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="phones accept what the simulator accepted before its honesty rules (`am --eua`, "
        "non-ASCII `input text`, plain `uiautomator dump` on video feeds); default: "
        "$PHONESIM_STRICT, strict unless it is 0",
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    if args.unauthorized < 0:
        parser.error("--unauthorized cannot be negative")
    return args


def main(argv: Sequence[str] | None = None, stop: threading.Event | None = None) -> int:
    """Run until SIGINT/SIGTERM (or until ``stop`` is set); returns the exit status."""
    args = parse_args(argv)
    server = None if args.no_connect else (args.adb_host, args.adb_port)
    where = f"{args.adb_host}:{args.adb_port}"
    if server:
        try:
            host_request("host:version", *server, timeout=5)
        except (OSError, AdbServerError) as exc:
            print(
                f"no adb server answers on {where} ({exc}); start one with `adb start-server`, "
                "or pass --no-connect",
                file=sys.stderr,
            )
            return 1
    stop = stop or threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in STOP_SIGNALS}
    try:
        with Farm() as farm:
            try:
                phones = start_phones(
                    farm,
                    args.count,
                    args.base_port,
                    args.model,
                    args.unauthorized,
                    strict=False if args.lenient else None,
                )
            except OSError as exc:
                print(f"cannot listen on the requested ports: {exc}", file=sys.stderr)
                return 1
            for phone in phones:
                line = f"  {phone.serial}  {phone.props['ro.product.model']}"
                if server:
                    try:
                        connect(phone.serial, *server)
                    except (OSError, AdbServerError) as exc:
                        print(f"  {phone.serial}: {exc}", file=sys.stderr, flush=True)
                        continue
                print(line, flush=True)
            place = f"on adb server {where}" if server else "listening, not connected"
            print(f"{len(phones)} phones {place}; Ctrl+C stops", flush=True)
            stop.wait()
            if server:
                for phone in phones:
                    with contextlib.suppress(OSError):
                        disconnect(phone.serial, *server)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("phones disconnected" if server else "phones stopped", flush=True)
    return 0
