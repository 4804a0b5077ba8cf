"""A real adb server on a free port plus simulated phones, shared by every test that needs phones.

Registered for the whole suite from ``tests/conftest.py`` (``pytest_plugins``).

The server binary is $TEST_ADB_BINARY if set (e.g. /usr/bin/adb for Debian's v29), else the one
bundled in the adbutils wheel. HOME points at a temp dir so the server's keys stay private.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable, Iterator

import pytest

from devices.adb import Adb, AdbServer, DeviceUnauthorized, PhoneLink, adb_binary
from phonesim import Farm, Phone


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def adb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdbServer]:
    """A private adb server, started once per test session and killed at the end."""
    home = tmp_path_factory.mktemp("adb-home")
    binary = os.environ.get("TEST_ADB_BINARY") or adb_binary()
    # The server process gets ANDROID_ADB_SERVER_PORT (from AdbServer) and a private HOME;
    # our own process environment stays untouched for the other tests.
    server = AdbServer("127.0.0.1", _free_port(), binary, env={"HOME": str(home)})
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="session")
def adb(adb_server: AdbServer) -> Adb:
    """Our device layer pointed at the private server (short timeout: tests want fast failure)."""
    return Adb(adb_server.host, adb_server.port, timeout=10)


@pytest.fixture(scope="session")
def farm() -> Iterator[Farm]:
    with Farm() as farm:
        yield farm


def connect(adb: Adb, phone: Phone, state: str = "device") -> None:
    if state == "unauthorized":
        connect_unauthorized(adb, phone.serial)
        wait_state(adb, phone.serial, state)
        return
    adb.connect(phone.serial)
    adb.wait_for(phone.serial, state=state, timeout=10)


def connect_unauthorized(adb: Adb, serial: str) -> None:
    """adb v29 reports "connected" at once; newer servers wait and say "failed to
    authenticate", which our layer raises as DeviceUnauthorized. Either way it gets listed."""
    with contextlib.suppress(DeviceUnauthorized):
        adb.connect(serial)


@pytest.fixture(scope="session")
def shared_phone(farm: Farm, adb: Adb) -> Phone:
    """One well-behaved phone for read-mostly tests (don't unplug it)."""
    phone = farm.add(model="Pixel 7")
    connect(adb, phone)
    return phone


@pytest.fixture
def shared_link(adb: Adb, shared_phone: Phone) -> PhoneLink:
    return adb.device(shared_phone.serial)


@pytest.fixture
def make_phone(farm: Farm, adb: Adb) -> Iterator[Callable[..., Phone]]:
    """Start a fresh phone (kwargs are Phone fields) and connect it; removed after the test."""
    made: list[Phone] = []

    def make(*, wait_state: str | None = "device", **options) -> Phone:
        phone = farm.add(**options)
        made.append(phone)
        if wait_state:
            connect(adb, phone, wait_state)
        return phone

    yield make
    for phone in made:
        adb.disconnect(phone.serial)
        farm.remove(phone)


def wait_state(adb: Adb, serial: str, state: str | None, timeout: float = 10) -> None:
    """Poll `adb devices` until ``serial`` is in ``state`` (None: no longer listed)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        current = adb.state(serial)
        if current == state:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{serial} is {current!r}, expected {state!r}")
        time.sleep(0.05)
