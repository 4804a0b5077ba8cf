"""`manage.py demo` (what `make demo` runs): phones online with accounts, clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices.adb import Adb, AdbServer
from tests.web.test_serve import ROOT, descendants, free_port, wait_for_health

PHONES = 3


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    (tmp_path / "home").mkdir()
    env.update(
        VAR_DIR=str(tmp_path),
        HOME=str(tmp_path / "home"),  # the adb server's keys stay in the test's folder
        PORT=str(free_port()),
        ADB_SERVER_PORT=str(free_port()),
        DEMO_PHONES=str(PHONES),
        DEMO_BASE_PORT="0",  # any free ports: other test runs may share this machine
        DEBUG="0",
    )
    if os.environ.get("TEST_ADB_BINARY"):
        env["ADBUTILS_ADB_PATH"] = os.environ["TEST_ADB_BINARY"]
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        env=env, cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    yield env
    # The demo leaves the adb server running, as adb itself does; ours must not outlive the test.
    server = AdbServer("127.0.0.1", int(env["ADB_SERVER_PORT"]), env={"HOME": env["HOME"]})
    server.kill()


def farm_ready(database: Path) -> bool:
    """Every demo phone online with its model and a first thumbnail, and its two accounts."""
    if not database.exists():
        return False
    with sqlite3.connect(database, timeout=5) as db:
        try:
            phones = db.execute(
                "SELECT id FROM devices_device WHERE state = 'online' AND model != '' "
                "AND thumbnail_at IS NOT NULL"
            ).fetchall()
            accounts = db.execute(
                "SELECT count(*) FROM devices_account a JOIN devices_device d ON a.device_id = d.id"
                " WHERE d.state = 'online' AND a.username LIKE 'demo\\_%' ESCAPE '\\'"
            ).fetchone()[0]
        except sqlite3.OperationalError:  # tables not there yet / locked for a moment
            return False
    return len(phones) == PHONES and accounts == 2 * PHONES


def test_demo_runs_phones_with_accounts_and_stops_cleanly(demo_env, tmp_path):
    log = (tmp_path / "demo.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "demo"],
        env=demo_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        # Anonymous: status only; the adb server is seen working when the phones come online.
        assert wait_for_health(int(demo_env["PORT"]), timeout=60) == {"status": "ok"}
        deadline = time.monotonic() + 30
        while not farm_ready(tmp_path / "tikmatrix.sqlite3"):
            assert proc.poll() is None, (tmp_path / "demo.log").read_text()
            assert time.monotonic() < deadline, "demo phones never showed up online"
            time.sleep(0.3)
        children = descendants(proc.pid)
        assert children
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        time.sleep(0.2)
        assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
        output = (tmp_path / "demo.log").read_text()
        assert "demo_tt_1" in output and "demo_ig_3" in output
        assert f"http://127.0.0.1:{demo_env['PORT']}/" in output
        adb = Adb("127.0.0.1", int(demo_env["ADB_SERVER_PORT"]), timeout=5)
        assert adb.devices() == []  # the phones were disconnected on the way out
        with sqlite3.connect(tmp_path / "tikmatrix.sqlite3") as db:
            assert db.execute("SELECT DISTINCT state FROM devices_device").fetchall() == [
                ("offline",)
            ]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
