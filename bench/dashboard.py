"""5. Dashboard: server time and queries of ``/devices/`` and ``/tasks/`` with 500 phones and
1 M tasks (quick: 100 k), in-process through Django's test client signed in as an owner.
The bare view is timed the same way in the same run as the yardstick."""

from __future__ import annotations

import time
from pathlib import Path

from bench import common
from bench.common import median, percentile

PAGES = ["/bench/bare", "/devices/", "/tasks/", "/tasks/?status=3", "/"]


def main(name: str, quick: bool, run_dir: Path) -> None:
    bench = common.setup(name, quick, run_dir)
    seed = common.Seed(tasks=100_000 if quick else 1_000_000, devices=500, accounts_per_device=8)
    common.use_seed(bench, seed)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("collectstatic", "--noinput", verbosity=0)  # as `make run` does (DEBUG=0)
    client = Client(HTTP_HOST=common.LOOPBACK)
    client.force_login(get_user_model().objects.get(username=common.OWNER))
    repeats = 5 if quick else 15
    rows, data = [], {}
    for page in PAGES:
        client.get(page)  # warm
        times, queries, status, size = [], 0, 0, 0
        for _ in range(repeats):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                answer = client.get(page)
                times.append((time.perf_counter() - started) * 1000)
            queries = len(captured.captured_queries)
            status, size = answer.status_code, len(answer.content)
        slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:3]
        data[page] = {"ms": times, "queries": queries, "status": status, "bytes": size,
                      "slowest_queries": slowest}  # fmt: skip
        rows.append([page, median(times), percentile(times, 90), queries, status, size])
        print(f"  {page}: {median(times):.1f} ms, {queries} queries", flush=True)
    common.save(
        bench,
        f"Dashboard pages, 500 phones, {seed.tasks:,} tasks (median of {repeats}, in-process)",
        ["page", "median ms", "p90 ms", "queries", "status", "bytes"],
        rows,
        data,
    )
