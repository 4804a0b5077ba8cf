"""`manage.py workers`: this farm host's worker cluster (django-q2's, started by `serve`).

django-q2's own ``qcluster`` answers SIGTERM by waiting for every running task to finish, however
long its script takes, and ``serve`` then has to kill it: its tasks stayed "running" through the
downtime and failed later as lost. Here SIGTERM first asks the running scripts to stop at their
next step and hand their tasks back (pending, retry count untouched, step log "interrupted by
shutdown"; a script stuck in a phone call is cut off after WORKER_SHUTDOWN_SECONDS), then stops
the cluster, which the scripts no longer hold up. Every process of the cluster dies with its
parent, and the cluster with `serve`: no worker outlives a crash to run a phone unsupervised.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from multiprocessing import util

from django.conf import settings
from django.core.management.base import BaseCommand

from core.supervision import die_with_supervisor, parent_death_signal
from tasks import worker

log = logging.getLogger("tasks.worker")

# Seconds the cluster gets, after its scripts were told to stop, before this command ends
# everything at once (every cluster process dies with its parent).
STOP_MARGIN = 4.0


class _ClusterProcesses:
    """Registered with multiprocessing: runs in every process the cluster forks (sentinel,
    pusher, monitor, workers) and makes it die with the process that forked it."""

    def __call__(self, _obj) -> None:
        parent_death_signal(signal.SIGKILL)


DIE_WITH_PARENT = _ClusterProcesses()


class Command(BaseCommand):
    help = (
        "Run this farm host's worker cluster (django-q2). SIGTERM hands running tasks back "
        "(pending) and stops within WORKER_SHUTDOWN_SECONDS."
    )

    stopping = False

    def handle(self, *args, **options) -> None:
        from django_q.cluster import Cluster

        die_with_supervisor()
        shutdown = worker.share_shutdown_event()
        util.register_after_fork(DIE_WITH_PARENT, DIE_WITH_PARENT)
        cluster = Cluster()
        # Cluster() answers SIGTERM/SIGINT by stopping at once; ours tells the scripts first.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._request_stop)
        cluster.start()
        while not self.stopping:
            if not cluster.sentinel.is_alive():
                log.error("the worker cluster's sentinel died; exiting so serve restarts us")
                raise SystemExit(1)
            time.sleep(0.2)
        log.info("shutting down: running tasks stop at their next step and go back in the queue")
        shutdown.set()
        self._end_by(time.monotonic() + settings.WORKER_SHUTDOWN_SECONDS + STOP_MARGIN)
        cluster.stop()

    def _request_stop(self, signum, frame) -> None:
        self.stopping = True  # a flag only: signal handlers must not take locks

    @staticmethod
    def _end_by(deadline: float) -> None:
        """Should the cluster not be gone by ``deadline``, end this process: the cluster's
        processes follow it (their parent-death signal)."""

        def watch() -> None:
            while time.monotonic() < deadline:
                time.sleep(0.2)
            log.warning("the worker cluster did not stop in time; ending it")
            os._exit(1)

        threading.Thread(target=watch, name="stop-deadline", daemon=True).start()
