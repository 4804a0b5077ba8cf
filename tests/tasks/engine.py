"""A real farm host for end-to-end engine tests: django-q2 cluster + dispatcher processes on
the test database, the test adb server, and simulated phones registered as Devices."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

from devices.models import Device

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate: Callable[[], object], timeout: float = 30, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
        time.sleep(every)


class FarmHost:
    """Starts ``workers`` (the django-q2 cluster) and ``dispatch`` like ``serve`` does, pointed
    at the test database."""

    def __init__(self, adb_server, var_dir: Path, *, workers: int = 3, **env: str):
        db = connection.settings_dict
        if db["ENGINE"].endswith("sqlite3"):
            database_url = f"sqlite:///{db['NAME']}"
        else:
            database_url = (
                f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                f"/{db['NAME']}"
            )
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "MATERIAL_ROOTS": ":".join(str(p) for p in settings.MATERIAL_ROOTS),
            "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEY": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            "FARM_HOST": settings.FARM_HOST,
            "ADB_SERVER_HOST": adb_server.host,
            "ADB_SERVER_PORT": str(adb_server.port),
            "WORKERS": str(workers),
            "HEARTBEAT_SECONDS": "1",
            "HEARTBEAT_STALE_SECONDS": "5",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        if "REDIS_URL" not in env:
            self.env.pop("REDIS_URL", None)
        self.processes: dict[str, subprocess.Popen] = {}
        self.log_dir = var_dir

    def start(self, *names: str) -> FarmHost:
        for name in names or ("workers", "dispatcher"):
            command = {"workers": "workers", "dispatcher": "dispatch"}[name]
            log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed by the child)
            self.processes[name] = subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), command],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        return self

    def kill(self, name: str) -> None:
        """SIGKILL a process and everything it forked (a crashed host, an OOM kill)."""
        proc = self.processes.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop(self) -> None:
        for proc in self.processes.values():
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self.processes.clear()

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.log_dir.glob("*.log"))


def register(phone, **fields) -> Device:
    """The Device row the watcher would create for a connected simulated phone."""
    fields.setdefault("model", getattr(phone, "model", ""))
    return Device.objects.create(
        serial=phone.serial, state=Device.State.ONLINE, host=settings.FARM_HOST, **fields
    )
