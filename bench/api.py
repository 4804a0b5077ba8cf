"""1. The API against the web ceiling, at 1 M tasks (quick: 100 k).

The server runs as a user runs it (``manage.py serve --only web``: gunicorn, 2 workers × 4
threads, DEBUG=0, SQLite in a temp VAR_DIR, a token from ``manage.py api_token``). A separate
load-generator process keeps 8 keep-alive connections busy. Every round measures the bare
Django JSON view and then each API call, back to back, so each ratio compares figures taken
under the same machine noise; the table shows medians over the rounds.
"""

from __future__ import annotations

import json
import random

from bench import common
from bench.common import Seed, median, percentile

CONNS = 8


def endpoints(token: str, serials: list[str], task_ids: tuple[int, int]) -> dict[str, dict]:
    auth = {"Authorization": f"Token {token}"}
    create = {
        "serials": ["{serial}"],
        "script_name": "follow",
        "script_config": {"target_users": ["bench_target"]},
    }
    return {
        "bare view": {"path": "/bench/bare"},
        "GET /task?status=3&page_size=20": {
            "path": "/api/v1/task?status=3&page_size=20",
            "headers": auth,
        },
        "GET /task/{id}": {"path": "/api/v1/task/{id}", "ids": list(task_ids), "headers": auth},
        "GET /task/stats": {"path": "/api/v1/task/stats", "headers": auth},
        "POST /task (1 task)": {
            "method": "POST",
            "path": "/api/v1/task",
            "body": json.dumps(create),
            "serials": serials,
            "headers": {**auth, "Content-Type": "application/json"},
        },
    }


def main(name: str, quick: bool, run_dir) -> None:
    bench = common.setup(name, quick, run_dir)
    seed = Seed(tasks=100_000 if quick else 1_000_000, devices=500, accounts_per_device=8)
    info = common.use_seed(bench, seed)
    from devices.models import Device
    from tasks.models import Task

    token = common.api_token(bench)
    serials = list(Device.objects.values_list("serial", flat=True))
    bounds = (Task.objects.order_by("id").values_list("id", flat=True).first(), seed.tasks)
    specs = endpoints(token, serials, bounds)
    rounds, seconds = (3, 2.0) if quick else (5, 5.0)
    web, base = common.start_web(bench)
    samples: dict[str, list[dict]] = {label: [] for label in specs}
    try:
        for spec in specs.values():  # warm up every worker and code path (bounded)
            common.run_load(base, spec, conns=CONNS, seconds=1.0, max_requests=200)
        order = list(specs)
        for round_no in range(rounds):
            api_labels = order[1:]
            random.Random(round_no).shuffle(api_labels)
            for label in ["bare view", *api_labels]:
                result = common.run_load(
                    base, specs[label], conns=CONNS, seconds=seconds, max_requests=50_000
                )
                samples[label].append(result)
                print(
                    f"  round {round_no + 1}/{rounds} {label}: {result['rps']:.0f} req/s, "
                    f"{result['errors']} errors",
                    flush=True,
                )
        memory = common.tree_memory(web.pid)
    finally:
        web.stop()
    rows, data = [], {"seed": info, "conns": CONNS, "rounds": rounds, "seconds": seconds}
    for label, runs in samples.items():
        ratios = [r["rps"] / b["rps"] for r, b in zip(runs, samples["bare view"], strict=True)]
        row = {
            "rps": median(r["rps"] for r in runs),
            "p50": median(percentile(r["latencies_ms"], 50) for r in runs),
            "p99": median(percentile(r["latencies_ms"], 99) for r in runs),
            "ratio": median(ratios),
            "errors": sum(r["errors"] for r in runs),
            "requests": sum(r["ok"] for r in runs),
        }
        data[label] = {**row, "per_round_rps": [r["rps"] for r in runs]}
        target = "" if label == "bare view" else _verdict(row)
        rows.append([label, row["rps"], row["ratio"], row["p50"], row["p99"],
                     row["requests"], row["errors"], target])  # fmt: skip
    data["web_memory"] = memory
    for row in rows:
        row[2] = f"{row[2]:.2f}×"
    common.save(
        bench,
        f"API vs the bare Django view, {seed.tasks:,} tasks, {CONNS} connections "
        f"(medians of {rounds} rounds × {seconds:.0f} s)",
        [
            "request",
            "req/s",
            "× bare",
            "p50 ms",
            "p99 ms",
            "requests",
            "errors",
            "target ≥0.5×, p99 ≤50 ms",
        ],  # fmt: skip
        rows,
        data,
    )


def _verdict(row: dict) -> str:
    ok = row["ratio"] >= 0.5 and row["p99"] <= 50
    return "met" if ok else "MISSED"
