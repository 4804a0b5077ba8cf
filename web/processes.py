"""The processes one farm host runs, and a tiny supervisor for them (used by ``manage.py serve``).

Children run in their own process groups so that on shutdown we can signal the leader politely
and, after a grace period, SIGKILL the whole group (a django-q2 cluster was seen ignoring
SIGTERM for 30 s). A child that dies while we are running is restarted with backoff.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from django.conf import settings

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
    ]  # fmt: skip


def worker_command() -> list[str]:
    return [sys.executable, MANAGE, "qcluster"]


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


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)

    def start(self) -> None:
        log.info("starting %s", self.name)
        self.proc = subprocess.Popen(self.argv, start_new_session=True, cwd=settings.BASE_DIR)
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
    def __init__(self, names: list[str], grace: float = 15.0):
        self.children = [Child(name, PROCESSES[name]()) for name in names]
        self.grace = grace
        self.stopping = False

    def request_stop(self, signum, frame) -> None:
        self.stopping = True

    def run(self) -> int:
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
