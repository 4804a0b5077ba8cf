"""2. Fan-out create: one ``POST /api/v1/task`` creating 4,000 tasks (500 phones × 8 accounts,
``enable_multi_account``), on the API benchmark's database (1 M tasks; quick: 100 k).

In-process through Django's test client with a real token, so the queries can be counted
(``CaptureQueriesContext``); the same request's cost without HTTP. Medians over repeats.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench import common
from bench.common import median


def main(name: str, quick: bool, run_dir: Path) -> None:
    bench = common.setup(name, quick, run_dir)
    seed = common.Seed(tasks=100_000 if quick else 1_000_000, devices=500, accounts_per_device=8)
    common.use_seed(bench, seed)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from devices.models import Device
    from tasks.models import Task

    token = common.api_token(bench)
    client = Client(HTTP_HOST=common.LOOPBACK, HTTP_AUTHORIZATION=f"Token {token}")
    body = json.dumps({
        "serials": list(Device.objects.values_list("serial", flat=True)),
        "script_name": "follow",
        "script_config": {"target_users": ["bench_target"]},
        "enable_multi_account": True,
    })  # fmt: skip
    repeats = 3 if quick else 7
    times, queries, created = [], [], []
    bare = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get("/bench/bare")
        bare.append(time.perf_counter() - started)
        before = Task.objects.count()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            answer = client.post("/api/v1/task", body, content_type="application/json")
            times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.content[:500]
        created.append(answer.json()["data"]["created_count"])
        queries.append(len(captured.captured_queries))
        assert Task.objects.count() - before == created[-1]
        print(f"  {created[-1]} tasks in {times[-1]:.2f} s, {queries[-1]} queries", flush=True)
    t = median(times)
    common.save(
        bench,
        f"Fan-out create, 500 phones × 8 accounts, {seed.tasks:,} tasks already stored "
        f"(median of {repeats})",
        ["request", "tasks created", "time s", "queries", "target ≤1.5 s", ""],
        [["POST /task, enable_multi_account", created[0], f"{t:.2f}", median(queries),
          "met" if t <= 1.5 else "MISSED", f"range {min(times):.2f}–{max(times):.2f} s"]],
        {"times": times, "queries": queries, "created": created, "bare_view_s": bare},
    )  # fmt: skip
