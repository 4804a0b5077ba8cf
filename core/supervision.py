"""A process started by ``manage.py serve`` dies with it.

``serve`` (web/processes.py) puts its pid in ``FARM_SUPERVISOR_PID`` for its children; each of
them calls :func:`die_with_supervisor` when it starts. Should the supervisor die without
stopping them (SIGKILL, a crash, an OOM kill), the child gets SIGTERM and shuts down as if
``serve`` had asked: nothing keeps running under PID 1 holding ports, phones and tasks. On Linux
the kernel sends the signal (the parent-death signal, ``prctl(PR_SET_PDEATHSIG)``); elsewhere a
thread notices that the parent changed.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

SUPERVISOR_ENV = "FARM_SUPERVISOR_PID"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_supervisor(signum: int = signal.SIGTERM) -> None:
    """Get ``signum`` when the ``serve`` that started this process dies (a no-op when this
    process was not started by ``serve``)."""
    supervisor = os.environ.get(SUPERVISOR_ENV, "")
    if not supervisor.isdigit():
        return
    die_with_parent(signum, expected_parent=int(supervisor))


def die_with_parent(signum: int, expected_parent: int | None = None) -> None:
    """Get ``signum`` when this process's parent dies. ``expected_parent``: the parent may
    already be gone by the time we ask (then the signal comes at once)."""
    parent = expected_parent or os.getppid()
    if not parent_death_signal(signum):
        threading.Thread(
            target=_watch_parent, args=(parent, signum), name="watch-parent", daemon=True
        ).start()
    if os.getppid() != parent:  # it died before we asked
        os.kill(os.getpid(), signum)


def parent_death_signal(signum: int) -> bool:
    """Ask the Linux kernel to send ``signum`` to this process when its parent dies (the
    setting survives exec, not fork). False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    return False


def _watch_parent(parent: int, signum: int, every: float = 1.0) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os.kill(os.getpid(), signum)
