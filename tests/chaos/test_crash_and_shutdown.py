"""`serve` crashes and restarts: its children die with it, a second copy is refused, and a
polite SIGTERM hands running tasks back instead of losing them (issue 12, defects 3 and 4)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.models import Task
from tests.chaos.conftest import free_port, story
from tests.tasks.engine import ROOT, FarmHost, register, wait_until
from tests.tasks.factories import make_task
from tests.web.test_serve import descendants, wait_for_health

pytestmark = [pytest.mark.chaos]
Status = Task.Status


def alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists() and not _zombie(pid)}


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return True


def kill_all(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def install(tmp_path):
    """A fresh install in a temporary VAR_DIR (its own SQLite database), as `make run` makes."""
    env = {**os.environ, "VAR_DIR": str(tmp_path), "PORT": str(free_port()), "DEBUG": "0",
           "ADB_SERVER_PORT": str(free_port()), "ADB_SERVER_AUTOSTART": "0"}  # fmt: skip
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], env=env, cwd=ROOT,
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    return env


def serve(env, *args: str, **popen) -> subprocess.Popen:
    popen = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, **popen}
    argv = [sys.executable, "manage.py", "serve", *args]
    return subprocess.Popen(argv, env=env, cwd=ROOT, **popen)


def test_no_child_outlives_a_killed_serve(install):
    proc = serve(install, stderr=subprocess.DEVNULL)
    children: set[int] = set()
    try:
        wait_for_health(int(install["PORT"]))
        children = descendants(proc.pid)
        assert len(children) >= 5  # gunicorn and its workers, the cluster, watcher, dispatcher
        proc.kill()
        proc.wait()
        wait_until(lambda: not alive(children), timeout=20, every=0.2)
    finally:
        kill_all(alive(children))
        if proc.poll() is None:
            proc.kill()


def test_a_second_serve_for_the_same_host_is_refused_with_a_reason(install):
    first = serve(install, "--only", "dispatcher", stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: descendants(first.pid), timeout=30)
        second = serve(install, "--only", "dispatcher")
        try:
            code = second.wait(timeout=30)
        finally:
            if second.poll() is None:
                kill_all(descendants(second.pid))
                second.kill()
        message = second.stderr.read().decode()
        assert code != 0 and "already running" in message and str(first.pid) in message
    finally:
        children = descendants(first.pid)
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
        kill_all(alive(children))


@pytest.mark.django_db(transaction=True)
def test_sigterm_hands_running_tasks_back_and_a_restart_runs_them(adb_server, make_phone, tmp_path):
    busy, stuck = make_phone(), make_phone()
    busy.ui.faults.missing_element = "follow_btn"  # the script keeps looking for 12 s
    stuck.slow_down(60)  # the script is inside a phone command that takes a minute
    looking = make_task(register(busy), script_name="follow", script_config={"target_user": "ana"})
    waiting = make_task(register(stuck), script_name="diagnostic", script_config={})
    env = FarmHost(adb_server, tmp_path, WORKER_SHUTDOWN_SECONDS="3").env
    proc = serve(env, "--only", "workers,dispatcher", "--grace", "15")
    children: set[int] = set()
    try:
        wait_until(lambda: looking.events.filter(step__startswith="opening @").exists(), 60)
        wait_until(lambda: waiting.events.filter(step="asking the phone").exists(), 30)
        children = descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        log = proc.stderr.read().decode()
        assert "did not stop within" not in log  # nothing had to be killed
        assert not alive(children)
    finally:
        kill_all(alive(children))
        if proc.poll() is None:
            proc.kill()

    for task in (looking, waiting):
        task.refresh_from_db()
        assert (task.status, task.retry_count) == (Status.PENDING, 0), story(task)
        assert "interrupted by shutdown" in task.remark

    busy.ui.faults.missing_element = set()
    busy.ui.faults.already_following = {"ana"}
    stuck.slow_down(0)
    restarted = serve(env, "--only", "workers,dispatcher", stderr=subprocess.DEVNULL)
    try:
        for task in (looking, waiting):
            wait_until(lambda t=task: Task.objects.get(pk=t.pk).status in Task.TERMINAL, 60)
            task.refresh_from_db()
            assert task.status == Status.COMPLETED, story(task)
    finally:
        children = descendants(restarted.pid)
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=30)
        kill_all(alive(children))
