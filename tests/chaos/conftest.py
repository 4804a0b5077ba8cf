"""Fault injection: the farm's real pieces (dispatcher, worker entry point or a real cluster, a
real adb server, simulated phones) with one fault each, and what must hold anyway: no task runs
twice, no post is published twice, no task is lost to a crash or a restart (issue 12).

Each test reproduces one defect found on ``make demo``; it failed before the fix (see the
commit that added it). ``make chaos`` runs the mixed, longer version (``bench/chaos.py``).
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.adb import AdbServer, adb_binary
from tasks.creation import CreateRequest, create_tasks
from tasks.models import Material, Task
from tests.tasks.inprocess import serve_in_process


@pytest.fixture
def host(adb_server, settings, monkeypatch):
    """This farm host in process (dispatcher rounds + worker threads), on the test adb server."""
    settings.VERIFY_DELAY_SECONDS = 1
    yield from serve_in_process(adb_server, settings, monkeypatch)


def create(script: str, config: dict, **where) -> list[Task]:
    created = create_tasks(CreateRequest(script, config, **where))
    return list(Task.objects.filter(pk__in=created.task_ids).order_by("pk"))


def library_video(root: Path, name: str, sort: int = 0) -> Material:
    """A video in the media library (its own bytes, so the phone's records tell them apart)."""
    path = root / name
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + name.encode() * 32)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Material.objects.create(file=name, kind="video", size=1, sha256=digest, sort=sort,
                                   caption=f"caption of {name}")  # fmt: skip


def ended(task: Task) -> bool:
    """The task's run is over, whatever became of it (finished, failed, handed back)."""
    task.refresh_from_db()
    return task.status != Task.Status.RUNNING


def story(task: Task) -> list[tuple[str, str]]:
    return list(task.events.values_list("step", "message"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnAdbServer(AdbServer):
    """An adb server in the foreground (``adb server nodaemon``) whose process the test owns:
    it can be frozen (SIGSTOP), thawed, killed and started again on the same port."""

    proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20) -> None:
        env = dict(os.environ, **self.env, ANDROID_ADB_SERVER_PORT=str(self.port))
        self.proc = subprocess.Popen(
            [self.binary, "-P", str(self.port), "server", "nodaemon"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not self.answers():
            assert time.monotonic() < deadline, "the adb server did not start"
            time.sleep(0.1)

    def answers(self) -> bool:
        """``host:version`` on a plain socket: the adb server is up and answering."""
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as conn:
                conn.sendall(b"000chost:version")
                return conn.recv(4) == b"OKAY"
        except OSError:
            return False

    def kill(self, timeout: float = 10) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(timeout)

    def freeze(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)


@pytest.fixture
def own_adb_server(tmp_path) -> Iterator[OwnAdbServer]:
    home = tmp_path / "adb-home"
    home.mkdir()
    binary = os.environ.get("TEST_ADB_BINARY") or adb_binary()
    server = OwnAdbServer("127.0.0.1", free_port(), binary, env={"HOME": str(home)})
    server.start()
    yield server
    server.kill()
