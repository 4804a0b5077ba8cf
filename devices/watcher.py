"""The device watcher: keeps this host's Device rows in step with what its adb server lists.

One thread follows the adb server's ``host:track-devices`` push stream and writes state
changes; a few worker threads do the per-phone round trips (details once when a phone comes
online, then a battery + thumbnail refresh about every ``refresh_interval`` seconds, spread out
and at most ``refresh_parallel`` at a time, so 500 phones never stampede the USB bus).

When the adb server goes away the watcher reconnects with backoff, starting the server itself
when it is on this machine; TCP phones that were online are ``adb connect``-ed again, since a
new server forgets them. A server can also stop answering without going away (frozen, swamped):
every ``health_interval`` seconds a bounded health check (``host:version``) asks it. While it is
unreachable (past a short grace) or silent, this host's phones are marked *unknown*, so no task
starts on them and their tasks wait as "adb server not answering"; once it answers again they
get their listed state back. Nothing here imports adbutils: everything goes through
``devices.adb``.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import queue
import random
import re
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, connections, transaction
from django.utils import timezone

from devices import actions
from devices.adb import Adb, AdbServer, DeviceError, DeviceInfo, DeviceUnauthorized
from devices.models import Device

log = logging.getLogger("devices.watcher")

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
# `adb connect` serials (host:port); USB serials and emulator-NNNN never look like this.
TCP_SERIAL = re.compile(r"^(?!emulator-).+:\d{1,5}$")
BATTERY_LEVEL = re.compile(r"^\s*level: (\d+)", re.M)


def db_state(adb_state: str) -> str:
    """adb's word for a phone -> ours. Transient states (connecting, authorizing) are offline."""
    if adb_state == "device":
        return Device.State.ONLINE
    if adb_state == "unauthorized":
        return Device.State.UNAUTHORIZED
    return Device.State.OFFLINE


def record_device(adb: Adb, serial: str, host: str | None = None) -> Device:
    """Read an online phone's details now and store it as online on this host (`demo` uses it
    to bind accounts before the watcher runs)."""
    fields = detail_fields(adb.device(serial).info())
    fields.update(state=Device.State.ONLINE, host=host or settings.FARM_HOST)
    device, _ = Device.objects.update_or_create(serial=serial, defaults=fields)
    return device


def detail_fields(info: DeviceInfo) -> dict[str, object]:
    """Device columns from one `PhoneLink.info()` round trip."""
    return {
        "model": info.model,
        "brand": info.brand,
        "android_version": info.android_version,
        "sdk": info.sdk,
        "screen": info.screen_text,
        "battery": info.battery,
        "last_seen": timezone.now(),
    }


class DeviceWatcher:
    """``run()`` blocks until ``stop()`` (from a signal handler or another thread)."""

    def __init__(
        self,
        adb: Adb | None = None,
        *,
        server: AdbServer | None = None,
        host: str | None = None,
        start_server: bool | None = None,
        refresh_interval: float = 60.0,
        refresh_parallel: int = 4,
        workers: int = 6,
        offline_grace: float = 5.0,
        max_backoff: float = 10.0,
        tick: float = 0.5,
        health_interval: float = 2.0,
        health_timeout: float = 2.0,
    ) -> None:
        self.adb = adb or Adb(timeout=15)
        self.server = server or self.adb.server
        self.host = host or settings.FARM_HOST
        local = self.server.host in LOCAL_HOSTS
        self.start_server = local if start_server is None else (start_server and local)
        self.refresh_interval = refresh_interval
        self.refresh_parallel = refresh_parallel
        self.workers = workers
        self.offline_grace = offline_grace
        self.max_backoff = max_backoff
        self.tick = tick
        self.health_interval = health_interval
        self.health_timeout = health_timeout
        self._next_health = 0.0
        self._silent_since: float | None = None  # when the server stopped answering
        self.sessions = 0  # track-devices connections made (a restart shows as a new session)
        self._stopping = threading.Event()
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._listed: dict[str, str] = {}  # serial -> adb state, as of the latest list
        self._due: list[tuple[float, str]] = []  # refresh heap; stale entries are skipped
        self._due_at: dict[str, float] = {}
        self._refreshing = 0
        self._restore: set[str] = set()  # TCP phones to re-connect after a server restart
        self._no_details: set[str] = set()  # online phones whose details could not be read

    # -- lifecycle ----------------------------------------------------------------------------

    def stop(self) -> None:
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def run(self) -> None:
        threads = [
            threading.Thread(target=self._work, name=f"watcher-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for thread in threads:
            thread.start()
        log.info("device watcher on adb server %s (farm host %s)", self.server.where, self.host)
        try:
            self._follow()
        finally:
            self._stopping.set()
            for _ in threads:
                self._jobs.put(None)
            # A worker stuck in a slow screenshot is a daemon thread: don't wait for it long.
            deadline = time.monotonic() + 1.5
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            connections.close_all()
            log.info("device watcher stopped")

    # -- following the adb server -------------------------------------------------------------

    def _follow(self) -> None:
        backoff, lost_at, marked = 0.5, None, False
        while not self.stopping:
            try:
                self._ensure_server()
                for _ in self._session():
                    backoff, lost_at, marked = 0.5, None, False  # healthy again
            except DeviceError as exc:
                if lost_at is None:
                    log.warning("adb server %s unreachable: %s", self.server.where, exc)
                    lost_at = time.monotonic()
                    self._forget_listing()
                if not marked and time.monotonic() - lost_at >= self.offline_grace:
                    self._mark_all_unknown("adb server unreachable")
                    marked = True
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            except DatabaseError:
                log.exception("database error; retrying")
                close_old_connections()
                self._stopping.wait(1.0)

    def _ensure_server(self) -> None:
        if self.start_server and not self.server.is_running():
            log.info("starting the adb server on %s", self.server.where)
            self.server.start(timeout=10)

    def _session(self):
        """Apply every list the server pushes; yields once it has applied the first one."""
        first = True
        with contextlib.closing(self.adb.track_devices(idle=self.tick)) as updates:
            for listing in updates:
                if self.stopping:
                    return
                if listing is not None:
                    self._apply(dict(listing), first)
                    if first:
                        self.sessions += 1
                        first = False
                        yield
                self._check_health()
                self._queue_refreshes()

    def _check_health(self) -> None:
        """Every health_interval: is the server still answering? (A frozen one keeps the
        tracking connection open and silent.) Silent: this host's phones become unknown.
        Answering: phones marked unknown (here, or by a worker that hit the silence) get their
        listed state back."""
        now = time.monotonic()
        if now < self._next_health:
            return
        answers = self.adb.server_answers(self.health_timeout)
        self._next_health = time.monotonic() + self.health_interval
        if not answers:
            if self._silent_since is None:
                self._silent_since = now
                log.warning("adb server %s stopped answering", self.server.where)
                self._mark_all_unknown("adb server not answering")
            return
        if self._silent_since is not None:
            log.info("adb server %s answers again", self.server.where)
            self._silent_since = None
        self._restore_unknown()

    def _restore_unknown(self) -> None:
        unknown = Device.objects.on_host(self.host).filter(state=Device.State.UNKNOWN)
        serials = list(unknown.values_list("serial", flat=True))
        if not serials:
            return
        with self._lock:
            listed = {s: self._listed.get(s) for s in serials}
        now = timezone.now()
        for serial, adb_state in listed.items():
            state = db_state(adb_state) if adb_state else Device.State.OFFLINE
            unknown.filter(serial=serial).update(state=state, last_seen=now)
            log.info("%s: unknown -> %s (the adb server answers)", serial, state)

    def _forget_listing(self) -> None:
        with self._lock:
            self._restore |= {
                s for s, st in self._listed.items() if st == "device" and TCP_SERIAL.match(s)
            }
            self._listed = {}
            self._due_at.clear()

    # -- applying a list ----------------------------------------------------------------------

    def _apply(self, listed: dict[str, str], first: bool) -> None:
        with self._lock:
            previous = {} if first else self._listed
            self._listed = listed
            restore = self._restore - listed.keys() if first else set()
            if first:
                self._restore = set()
        changed = {s: st for s, st in listed.items() if previous.get(s) != st}
        vanished = set(previous) - set(listed)
        self._write_states(changed, vanished, reconcile=first)
        for serial, adb_state in changed.items():
            if adb_state == "device":
                self._jobs.put(lambda s=serial: self._fetch_details(s))
            else:
                self._unschedule(serial)
        for serial in vanished:
            self._unschedule(serial)
        for serial in sorted(restore):
            log.info("%s: re-connecting after the adb server restart", serial)
            self._jobs.put(lambda s=serial: self._reconnect(s))

    @transaction.atomic
    def _write_states(self, changed: dict[str, str], vanished: set[str], reconcile: bool) -> None:
        now = timezone.now()
        rows = {d.serial: d for d in Device.objects.filter(serial__in=changed)}
        for serial, adb_state in changed.items():
            self._write_state(rows.get(serial), serial, db_state(adb_state), now)
        gone = Device.objects.on_host(self.host).exclude(state=Device.State.OFFLINE)
        gone = gone.exclude(serial__in=changed) if reconcile else gone.filter(serial__in=vanished)
        self._set_offline(gone, now, "no longer listed")

    def _write_state(self, row: Device | None, serial: str, state: str, now) -> None:
        seen = {"last_seen": now} if state != Device.State.OFFLINE else {}
        if row is None:
            try:
                with transaction.atomic():
                    row = Device.objects.create(serial=serial, state=state, host=self.host, **seen)
                log.info("%s: new phone #%s, %s", serial, row.index, state)
                return
            except IntegrityError:  # another process added it a moment ago
                row = Device.objects.get(serial=serial)
        if row.state == Device.State.ONLINE and state == Device.State.OFFLINE:
            seen = {"last_seen": now}  # it was there until now
        Device.objects.filter(pk=row.pk).update(state=state, host=self.host, **seen)
        if row.state != state:
            log.info("%s (#%s): %s -> %s", serial, row.index, row.state, state)

    def _set_offline(self, rows, now, why: str) -> None:
        for row in rows.only("pk", "serial", "index", "state"):
            log.info("%s (#%s): %s -> offline (%s)", row.serial, row.index, row.state, why)
        rows.update(state=Device.State.OFFLINE, last_seen=now)

    def _mark_all_unknown(self, why: str) -> None:
        with contextlib.suppress(DatabaseError):
            if Device.objects.on_host(self.host).adb_server_not_answering():
                log.warning("this host's phones are unknown: %s", why)

    # -- per-phone jobs (worker threads) ------------------------------------------------------

    def _work(self) -> None:
        try:
            while (job := self._jobs.get()) is not None:
                if self.stopping:
                    continue  # drain without doing anything until the sentinel arrives
                try:
                    job()
                except (DeviceError, actions.PhoneActionError) as exc:
                    log.debug("%s", exc)  # the phone left meanwhile: the tracker will say so
                except DatabaseError:
                    log.exception("database error in a phone job")
                    close_old_connections()
                except Exception:
                    log.exception("phone job failed")
        finally:
            connections.close_all()

    def _online(self, serial: str) -> bool:
        with self._lock:
            return self._listed.get(serial) == "device"

    def _fetch_details(self, serial: str) -> None:
        try:
            self._store_details(serial)
        except DeviceError as exc:
            if self._online(serial):  # a slow phone, most likely: the next refresh retries
                log.warning("%s: could not read its details: %s", serial, exc)
                with self._lock:
                    self._no_details.add(serial)
        finally:
            self._schedule_first_refresh(serial)

    def _store_details(self, serial: str) -> None:
        info = self.adb.device(serial).info()
        Device.objects.filter(serial=serial).update(**detail_fields(info))
        with self._lock:
            self._no_details.discard(serial)

    def _refresh(self, serial: str) -> None:
        """Battery level and a scaled-down screenshot, in two short round trips."""
        try:
            phone = self.adb.device(serial)
            with self._lock:
                details_missing = serial in self._no_details
            if details_missing:
                self._store_details(serial)  # includes the battery
                level = None
            else:
                level = BATTERY_LEVEL.search(phone.shell("dumpsys battery"))
            actions.take_thumbnail(serial, phone)
            fields = {"last_seen": timezone.now()}
            if level:
                fields["battery"] = int(level.group(1))
            Device.objects.filter(serial=serial).update(**fields)
        finally:
            with self._lock:
                self._refreshing -= 1
            jitter = random.uniform(-0.1, 0.1) * self.refresh_interval  # no lockstep
            self._schedule(serial, time.monotonic() + self.refresh_interval + jitter)

    def _reconnect(self, serial: str) -> None:
        with contextlib.suppress(DeviceUnauthorized):  # still listed, as unauthorized
            self.adb.connect(serial, timeout=5)

    # -- refresh pacing -----------------------------------------------------------------------

    def _schedule_first_refresh(self, serial: str) -> None:
        # Spread the first round: a quarter second per online phone, at most one interval.
        with self._lock:
            online = sum(1 for st in self._listed.values() if st == "device")
        spread = min(self.refresh_interval, 0.25 * online)
        self._schedule(serial, time.monotonic() + random.uniform(0, spread))

    def _schedule(self, serial: str, when: float) -> None:
        with self._lock:
            if self._listed.get(serial) != "device":
                return
            self._due_at[serial] = when
            heapq.heappush(self._due, (when, serial))

    def _unschedule(self, serial: str) -> None:
        with self._lock:
            self._due_at.pop(serial, None)

    def _queue_refreshes(self) -> None:
        """Hand due refreshes to the workers, never more than refresh_parallel at once."""
        now = time.monotonic()
        with self._lock:
            while self._due and self._refreshing < self.refresh_parallel:
                when, serial = self._due[0]
                if when > now:
                    break
                heapq.heappop(self._due)
                if self._due_at.get(serial) != when:
                    continue  # rescheduled or gone offline since
                del self._due_at[serial]
                self._refreshing += 1
                self._jobs.put(lambda s=serial: self._refresh(s))
