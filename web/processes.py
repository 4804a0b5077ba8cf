"""The processes one farm host runs, and a tiny supervisor for them (used by ``manage.py serve``).

Children run in their own process groups so that on shutdown we can signal the leader politely
and, after a grace period, SIGKILL the whole group. A child that dies while we are running is
restarted with backoff.

One supervisor per farm host and ``VAR_DIR``: it holds an exclusive lock on
``VAR_DIR/serve-<queue>.lock`` and so do its children (they inherit the locked file), so a
second ``serve`` is refused with a clear message for as long as any process of the first one
lives, instead of starting a second web server, cluster and dispatcher on the same phones.
Children die with the supervisor: each one gets SIGTERM if it dies without stopping them
(``core.supervision``; it is told the supervisor's pid in ``FARM_SUPERVISOR_PID``).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from core.supervision import SUPERVISOR_ENV

log = logging.getLogger("serve")

MANAGE = str(settings.BASE_DIR / "manage.py")


def _bind_address() -> str:
    host = settings.BIND
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    return f"{host}:{settings.PORT}"


def web_command() -> list[str]:
    # gunicorn: a production pre-fork WSGI server; threads per worker keep slow phone
    # screenshots from blocking other requests, several workers use both cores.
    return [
        sys.executable, "-m", "gunicorn", "tikmatrix_site.wsgi:application",
        "--bind", _bind_address(),
        "--workers", str(settings.WEB_WORKERS),
        "--worker-class", "gthread", "--threads", "4",
        "--graceful-timeout", "10", "--timeout", "60",
        "--max-requests", "5000", "--max-requests-jitter", "500",
        "--access-logfile", "-", "--error-logfile", "-",
        "--config", "python:web.gunicorn_hooks",  # the master dies with serve
    ]  # fmt: skip


def worker_command() -> list[str]:
    return [sys.executable, MANAGE, "workers"]


def watcher_command() -> list[str]:
    return [sys.executable, MANAGE, "watch_devices"]


def dispatcher_command() -> list[str]:
    return [sys.executable, MANAGE, "dispatch"]


PROCESSES = {
    "web": web_command,
    "workers": worker_command,
    "watcher": watcher_command,
    "dispatcher": dispatcher_command,
}


class AlreadyRunning(Exception):
    """Another ``serve`` (or a process it started) runs for this farm host and VAR_DIR."""


def lock_path() -> Path:
    return Path(settings.VAR_DIR) / f"serve-{settings.FARM_QUEUE}.lock"


def take_host_lock() -> int:
    """Lock this farm host's VAR_DIR for this process (and the children it passes the file
    descriptor to); returns the descriptor. AlreadyRunning when another copy holds it."""
    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise AlreadyRunning(
            f"this farm host ({settings.FARM_HOST}) is already running from {settings.VAR_DIR}: "
            f"`manage.py serve` (pid {holder}) or a process it started still runs. Stop it "
            f"first (Ctrl-C or `kill {holder}`); two copies would run the same phones twice."
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)
    # Inherited by the child: the host lock (held until the last process of this serve exits).
    pass_fds: tuple[int, ...] = ()

    def start(self) -> None:
        log.info("starting %s", self.name)
        env = {**os.environ, SUPERVISOR_ENV: str(os.getpid())}
        self.proc = subprocess.Popen(
            self.argv, start_new_session=True, cwd=settings.BASE_DIR, env=env,
            pass_fds=self.pass_fds,
        )  # fmt: skip
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    def kill_group(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


class Supervisor:
    """``run()`` takes the host lock (AlreadyRunning if another copy holds it), starts the
    children and keeps them running until SIGTERM/SIGINT, then stops them within ``grace``."""

    def __init__(self, names: list[str], grace: float = 15.0, lock: int | None = None):
        self.names = names
        self.children: list[Child] = []
        self.grace = grace
        self.lock = lock  # the host lock, when the caller took it already (demo)
        self.stopping = False

    def request_stop(self, signum, frame) -> None:
        self.stopping = True

    def run(self) -> int:
        if self.lock is None:
            self.lock = take_host_lock()
        lock = (self.lock,)
        self.children = [Child(name, PROCESSES[name](), pass_fds=lock) for name in self.names]
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        for child in self.children:
            child.start()
        while not self.stopping:
            self._restart_dead()
            time.sleep(0.2)
        self.stop()
        return 0

    def _restart_dead(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.alive():
                continue
            if child.next_start == 0.0:
                code = child.proc.returncode if child.proc else None
                # Back off 1, 2, 4 … 30 s, resetting once a child has run for a minute.
                if now - child.started_at > 60:
                    child.restarts = 0
                delay = min(2**child.restarts, 30)
                log.error("%s exited with code %s; restarting in %ss", child.name, code, delay)
                child.restarts += 1
                child.next_start = now + delay
            elif now >= child.next_start:
                child.next_start = 0.0
                child.start()

    def stop(self) -> None:
        log.info("stopping %s", ", ".join(c.name for c in self.children))
        for child in self.children:
            child.terminate()
        deadline = time.monotonic() + self.grace
        while time.monotonic() < deadline and any(c.alive() for c in self.children):
            time.sleep(0.1)
        for child in self.children:
            if child.alive():
                log.warning("%s did not stop within %.0fs; killing it", child.name, self.grace)
            # Kill the group either way: stray grandchildren (pool workers) must not outlive us.
            child.kill_group()
