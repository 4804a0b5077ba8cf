"""The device watcher against the real adb server fixture and simulated phones."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from PIL import Image

from devices.adb import Adb, AdbServer
from devices.models import Device
from devices.watcher import DeviceWatcher
from phonesim import Farm
from tests.phones import connect, wait_state

pytestmark = pytest.mark.django_db(transaction=True)  # the watcher writes from its own threads

HOST = "test-farm-host"


def eventually(check: Callable[[], object], timeout: float = 10, what: str = "") -> object:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.05)
    return result


def row(serial: str) -> Device | None:
    return Device.objects.filter(serial=serial).first()


def state_is(serial: str, state: str) -> Callable[[], bool]:
    return lambda: (d := row(serial)) is not None and d.state == state


@pytest.fixture
def run_watcher(adb_server: AdbServer) -> Iterator[Callable[..., DeviceWatcher]]:
    """``run_watcher(**options)`` starts a watcher thread on the fixture's adb server."""
    running: list[tuple[DeviceWatcher, threading.Thread]] = []

    def start(**options) -> DeviceWatcher:
        options = {"host": HOST, "tick": 0.1, "start_server": False, **options}
        adb = Adb(adb_server.host, adb_server.port, timeout=10)
        watcher = DeviceWatcher(adb, server=adb_server, **options)
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        running.append((watcher, thread))
        return watcher

    yield start
    for watcher, thread in running:
        watcher.stop()
        thread.join(5)
        assert not thread.is_alive(), "the watcher did not stop within 5 s"


@pytest.fixture
def restore_server(adb_server: AdbServer, adb: Adb, farm: Farm) -> Iterator[None]:
    """For tests that kill the shared adb server: bring it and the shared phones back after."""
    yield
    adb_server.ensure_running()
    listed = {d.serial for d in adb.devices()}
    for phone in farm.phones:
        if phone.listening and phone.serial not in listed:
            connect(adb, phone, "unauthorized" if phone.unauthorized else "device")


def test_discovery_stores_details_and_host(run_watcher, make_phone):
    samsung = make_phone(model="SM-G991B")
    pixel = make_phone(model="Pixel 7")
    run_watcher()
    eventually(lambda: row(samsung.serial) and row(samsung.serial).model, what="details")
    device = row(samsung.serial)
    assert device.state == Device.State.ONLINE
    assert (device.model, device.brand, device.android_version, device.sdk) == (
        "SM-G991B",
        "samsung",
        "13",
        33,
    )
    assert device.screen == "1080x2400"
    assert device.battery == samsung.battery["level"]
    assert device.host == HOST and device.last_seen is not None
    eventually(lambda: row(pixel.serial) and row(pixel.serial).model == "Pixel 7")
    assert row(pixel.serial).index != device.index


def test_a_phone_connected_later_is_picked_up_at_once(run_watcher, make_phone):
    run_watcher()
    time.sleep(0.3)
    phone = make_phone(model="Pixel 6a")
    # Picked up from adb's device tracking while the watcher runs, with no restart or rescan.
    eventually(lambda: row(phone.serial) and row(phone.serial).model == "Pixel 6a", timeout=10)


def test_unplugged_phone_goes_offline_and_returns_on_replug(run_watcher, make_phone, adb):
    phone = make_phone()
    run_watcher()
    eventually(state_is(phone.serial, "online"))
    phone.unplug()
    eventually(state_is(phone.serial, "offline"), what="offline after unplug")
    phone.replug()
    eventually(state_is(phone.serial, "online"), what="online after replug")


def test_unauthorized_phone_is_stored_as_unauthorized(run_watcher, make_phone):
    locked = make_phone(unauthorized=True, wait_state="unauthorized")
    run_watcher()
    eventually(state_is(locked.serial, "unauthorized"))
    assert row(locked.serial).model == ""  # no details without the user's consent


def test_vanished_phone_goes_offline_and_keeps_its_index(run_watcher, make_phone, adb):
    phone = make_phone()
    run_watcher()
    eventually(state_is(phone.serial, "online"))
    index = row(phone.serial).index
    adb.disconnect(phone.serial)
    eventually(state_is(phone.serial, "offline"), what="offline after disconnect")
    newcomer = make_phone()
    connect(adb, phone)
    eventually(state_is(phone.serial, "online"))
    eventually(state_is(newcomer.serial, "online"))
    assert row(phone.serial).index == index
    assert row(newcomer.serial).index > index


def test_rows_of_unlisted_phones_are_reconciled_on_start(run_watcher):
    mine = Device.objects.create(serial="127.0.0.1:1", state="online", host=HOST)
    other_host = Device.objects.create(serial="127.0.0.1:2", state="online", host="elsewhere")
    run_watcher()
    eventually(state_is(mine.serial, "offline"))
    assert row(other_host.serial).state == "online"  # not this host's business


def test_recovers_after_the_adb_server_is_killed(restore_server, run_watcher, make_phone, adb):
    phone = make_phone()
    watcher = run_watcher(start_server=True)
    eventually(state_is(phone.serial, "online"))
    eventually(lambda: watcher.sessions == 1)
    watcher.server.kill()
    # The watcher starts the server again and re-connects the TCP phones it had.
    eventually(lambda: watcher.sessions >= 2, timeout=20, what="a new tracking session")
    wait_state(adb, phone.serial, "device", timeout=15)
    eventually(state_is(phone.serial, "online"))


def test_waits_for_a_missing_server_without_starting_it(
    restore_server, run_watcher, make_phone, adb_server, adb
):
    phone = make_phone()
    watcher = run_watcher(offline_grace=0.2, max_backoff=0.5)
    eventually(state_is(phone.serial, "online"))
    adb_server.kill()
    eventually(state_is(phone.serial, "unknown"), what="unknown while the server is gone")
    time.sleep(0.5)
    assert not adb_server.is_running()
    adb_server.start()
    connect(adb, phone)
    eventually(state_is(phone.serial, "online"), what="online on the new server")
    assert watcher.sessions >= 2


def test_thumbnails_are_small_valid_pngs(run_watcher, make_phone):
    phone = make_phone()
    run_watcher(refresh_interval=0.5)
    eventually(lambda: row(phone.serial) and row(phone.serial).thumbnail_at, what="a thumbnail")
    device = row(phone.serial)
    path = settings.MEDIA_ROOT / device.thumbnail.name
    with Image.open(io.BytesIO(path.read_bytes())) as image:
        assert image.format == "PNG"
        assert image.size == (270, 600)  # 1080x2400 scaled to 270 wide
    first = device.thumbnail_at
    eventually(lambda: row(phone.serial).thumbnail_at > first, what="a refreshed thumbnail")


def test_refreshes_are_spread_out_and_few_at_a_time(adb):
    # Pacing only: no phones needed. 400 phones come online at once …
    watcher = DeviceWatcher(adb, host=HOST, refresh_interval=60, refresh_parallel=3)
    serials = [f"10.0.0.{i // 200}:{5600 + i}" for i in range(400)]
    watcher._listed = dict.fromkeys(serials, "device")
    started = time.monotonic()
    for serial in serials:
        watcher._schedule_first_refresh(serial)
    due = sorted(watcher._due_at.values())
    # … their first thumbnails spread over the whole interval, not all in the first second …
    assert due[-1] - started > 50 and sum(d - started < 1 for d in due) < 20
    # … and however many are due, only refresh_parallel are handed to the workers.
    watcher._due_at = dict.fromkeys(serials, started)
    watcher._due = [(started, s) for s in serials]
    watcher._queue_refreshes()
    assert watcher._jobs.qsize() == 3
