"""`manage.py serve` runs web, workers and watcher, and stops them all on SIGTERM."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """All processes below ``pid`` (children, grandchildren), read from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def wait_for_health(port: int, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                return json.load(resp)
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the web server never answered /healthz")


@pytest.fixture
def serve_env(tmp_path):
    env = {**os.environ, "VAR_DIR": str(tmp_path), "PORT": str(free_port()), "DEBUG": "0",
           "ADB_SERVER_PORT": str(free_port()),
           # The watcher would start an adb server there; this test is about serve's children.
           "ADB_SERVER_AUTOSTART": "0"}  # fmt: skip
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        env=env, cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return env


def test_serve_starts_its_children_and_stops_them_all_on_sigterm(serve_env):
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--grace", "5"],
        env=serve_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        health = wait_for_health(int(serve_env["PORT"]))
        assert health == {"status": "ok"}  # anonymous: the details need a sign-in
        children = descendants(proc.pid)
        commands = " ".join(Path(f"/proc/{pid}/cmdline").read_text() for pid in children)
        for expected in ("gunicorn", "workers", "watch_devices", "dispatch"):
            assert expected in commands
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        time.sleep(0.2)
        assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
