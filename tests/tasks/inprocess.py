"""A farm host inside the test process: the production code path minus the queue.

Each round is the dispatcher's own ``scheduling.tick()`` (claims, wait reasons, reaping); what it
enqueues for the worker cluster is handed to a thread that calls the worker's entry point,
``tasks.worker.run_task(task_id, run_id)``, as a cluster process would. Scripts reach simulated
phones through the test adb server. No subprocesses, so a script test costs what its script costs.

Tests using it need ``django_db(transaction=True)``: worker threads and the heartbeat have their
own database connections, as worker processes do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator

import pytest
from django.db import connection, transaction

from tasks import scheduling, worker
from tasks.models import Task
from tasks.scripts.base import ScriptContext
from tasks.scripts.registry import get_script
from tests.tasks.engine import wait_until


class InProcessHost:
    """The dispatcher loop and worker cluster of this farm host, as threads of the test."""

    def __init__(self):
        self.workers: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        # (script, platform, element) for every selector a script looked up.
        self.selectors_used: set[tuple[str, str, str]] = set()

    # --- the worker cluster ------------------------------------------------------------------

    def async_task(self, func: str, task_id: int, run_id: str, **options) -> None:
        """Stands in for ``django_q.tasks.async_task``: run the enqueued run in a thread, once
        the dispatcher's transaction commits (as a cluster process would see it)."""
        assert func == "tasks.worker.run_task", func
        args = (task_id, run_id)
        thread = threading.Thread(target=self._work, args=args, name=f"worker-{task_id}")
        self.workers.append(thread)
        transaction.on_commit(thread.start)

    def _work(self, task_id: int, run_id: str) -> None:
        try:
            worker.run_task(task_id, run_id)
        except BaseException as exc:  # run_task records every outcome; anything else is a bug
            self.errors.append(exc)
        finally:
            connection.close()

    # --- the dispatcher ----------------------------------------------------------------------

    def run(
        self,
        tasks: Iterable[Task],
        done: Callable[[Task], bool] = lambda t: t.status in Task.TERMINAL,
        timeout: float = 60,
    ) -> list[Task]:
        """Dispatch until ``done`` holds for every task (refreshed); return them."""
        tasks = list(tasks)

        def all_done() -> bool:
            scheduling.tick()
            for task in tasks:
                task.refresh_from_db()
            return all(done(t) for t in tasks)

        wait_until(all_done, timeout=timeout, every=0.25)
        return tasks

    def join(self, timeout: float = 30) -> None:
        """Wait for every worker thread (a task ends before its thread does)."""
        deadline = time.monotonic() + timeout
        for thread in self.workers:
            if thread.ident is not None:  # started (its claim committed)
                thread.join(max(0.1, deadline - time.monotonic()))
        alive = [t.name for t in self.workers if t.is_alive()]
        assert not alive, f"worker threads still running: {alive}"
        assert not self.errors, self.errors

    # --- what the scripts looked up ------------------------------------------------------------

    def record_selectors(self, monkeypatch: pytest.MonkeyPatch) -> None:
        rules = ScriptContext.rules

        def recording(ctx: ScriptContext, name: str) -> list[dict]:
            self.selectors_used.add((ctx.task.script_name, ctx.platform, name))
            return rules(ctx, name)

        monkeypatch.setattr(ScriptContext, "rules", recording)

    def undeclared_selectors(self) -> list[tuple[str, str, str]]:
        """Selectors a script looked up without declaring them (Script.selectors)."""
        return sorted(
            (script, platform, name)
            for script, platform, name in self.selectors_used
            if name not in get_script(script).selectors_on(platform)
        )


def serve_in_process(adb_server, settings, monkeypatch) -> Iterator[InProcessHost]:
    """This farm host in process, pointed at the test adb server; for a test module's ``host``
    fixture (``yield from serve_in_process(...)``)."""
    settings.ADB_SERVER_HOST, settings.ADB_SERVER_PORT = adb_server.host, adb_server.port
    settings.WORKERS = 4
    settings.HEARTBEAT_SECONDS = 0.2  # a stop request reaches the script within 0.2 s
    farm_host = InProcessHost()
    monkeypatch.setattr("django_q.tasks.async_task", farm_host.async_task)
    farm_host.record_selectors(monkeypatch)
    yield farm_host
    farm_host.join()
    undeclared = farm_host.undeclared_selectors()
    assert not undeclared, f"(script, platform, selector) not declared in its SCRIPT: {undeclared}"
