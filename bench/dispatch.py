"""3. Dispatch: simulated phones running the no-op ``diagnostic`` script (one ``getprop``).

Processes as ``serve`` runs them: ``manage.py qcluster`` (WORKERS=8) and ``manage.py dispatch``
on a private SQLite install, a private adb server, and the phones in a process of their own.

* Throughput, per round: the raw ceiling first (K no-op functions enqueued on this host's
  django-q2 queue, same broker, same cluster settings, then the cluster started), then ours (K
  ``diagnostic`` tasks due now, round-robin over the phones, then cluster + dispatcher
  started). Both are completions per second from the first to the last completion.
* Latency: with both running and idle, tasks fall due one by one at half the throughput just
  measured, each on a free phone; latency is ``started_at - scheduled_at`` (the dispatcher's
  reaction, not queueing behind busy workers).
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path

from bench import common
from bench.common import median, percentile

WORKERS = 8


def noop(path: str) -> None:
    """The raw django-q2 job: record the completion time and return."""
    with open(path, "a") as out:
        out.write(f"{time.time()}\n")


def main(name: str, quick: bool, run_dir: Path) -> None:
    bench = common.setup(name, quick, run_dir, WORKERS=str(WORKERS))
    common.use_seed(bench, common.Seed())
    phones_n = 50 if quick else 300
    k = 200 if quick else 900
    rounds = 1 if quick else 2
    latency_seconds = 10 if quick else 30
    common.adb_server(bench)
    phones_proc, phones = common.start_phones(bench, phones_n)
    common.insert_devices(phones["serials"])
    raw_rates, our_rates, failures = [], [], []
    memory: dict = {}
    try:
        for round_no in range(rounds):
            raw_rates.append(_raw_round(bench, k, round_no))
            rate, failed = _our_round(bench, k)
            our_rates.append(rate)
            failures.append(failed)
            print(
                f"  round {round_no + 1}/{rounds}: raw django-q2 {raw_rates[-1]:.1f}/s, "
                f"dispatch {rate:.1f}/s ({failed} failed)",
                flush=True,
            )
        latency = _latency(bench, median(our_rates) / 2, latency_seconds, memory)
    finally:
        phones_end = common.stop_phones(bench, phones_proc, phones_n)
    ratios = [o / r for o, r in zip(our_rates, raw_rates, strict=True)]
    per_phone_kb = (phones_end.get("peak_rss_kb", 0) - phones["rss_before_kb"]) / phones_n
    data = {
        "phones": phones_n, "workers": WORKERS, "k": k, "raw_rates": raw_rates,
        "our_rates": our_rates, "failures": failures, "latency": latency,
        "memory": memory, "phones_memory": {**phones, "serials": None, "spare": None,
                                            **phones_end, "per_phone_kb": per_phone_kb},
    }  # fmt: skip
    p50, p99 = latency["p50_s"], latency["p99_s"]
    rows = [
        ["raw django-q2, no-op functions", f"{median(raw_rates):.1f}/s", "1.00×", "", ""],
        ["dispatch, `diagnostic` tasks", f"{median(our_rates):.1f}/s", f"{median(ratios):.2f}×",
         "≥0.8×", "met" if median(ratios) >= 0.8 else "MISSED"],
        [f"latency due→running p50 ({latency['tasks']} tasks at {latency['rate']:.1f}/s)",
         f"{p50:.2f} s", "", "≤0.5 s", "met" if p50 <= 0.5 else "MISSED"],
        ["latency due→running p99", f"{p99:.2f} s", "", "≤2 s",
         "met" if p99 <= 2 else "MISSED"],
        ["failed tasks", sum(failures) + latency["failed"], "", "0", ""],
    ]  # fmt: skip
    common.save(
        bench,
        f"Dispatch, {phones_n} simulated phones, WORKERS={WORKERS}, {k} tasks per round "
        f"(medians of {rounds} round{'s' * (rounds > 1)})",
        ["measure", "value", "× raw", "target", ""],
        rows,
        data,
    )


def _raw_round(bench: common.Bench, k: int, round_no: int) -> float:
    from django.conf import settings
    from django_q.tasks import async_task

    done = bench.var_dir / f"noop-{round_no}.txt"
    for i in range(k):
        async_task(
            "bench.dispatch.noop", str(done), cluster=settings.FARM_QUEUE,
            task_name=f"noop-{round_no}-{i}", save=False,
        )  # fmt: skip
    cluster = common.manage("qcluster", name="qcluster", log_dir=bench.var_dir)
    try:
        common.wait_for(lambda: _lines(done) >= k, 300, 0.2, "raw django-q2 jobs")
    except TimeoutError:
        raise RuntimeError("raw django-q2 round stalled:\n" + cluster.tail()) from None
    finally:
        cluster.stop()
    times = sorted(float(x) for x in done.read_text().split())
    return (len(times) - 1) / (times[-1] - times[0])


def _lines(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


def _create(serials_ids: list[tuple[str, int]], count: int, when, step=timedelta(0)) -> str:
    from django.utils import timezone

    from tasks.models import Task

    batch = uuid.uuid4()
    now = timezone.now()
    tasks = []
    for i in range(count):
        serial, device_id = serials_ids[i % len(serials_ids)]
        due = when + step * i
        tasks.append(
            Task(
                device_id=device_id, serial=serial, script_name="diagnostic", script_config={},
                source=Task.Source.API, scheduled_at=due, batch_id=batch, batch_position=i,
                wait_reason=Task.WaitReason.SCHEDULED if due > now else None, created_at=now,
            )
        )  # fmt: skip
    Task.objects.bulk_create(tasks, batch_size=1000)
    return str(batch)


def _devices() -> list[tuple[str, int]]:
    from devices.models import Device

    return list(Device.objects.order_by("index").values_list("serial", "pk"))


def _wait_done(batch: str, count: int, timeout: float, procs: list[common.Proc]) -> list[tuple]:
    from tasks.models import Task

    rows = Task.objects.filter(batch_id=batch)
    try:
        common.wait_for(
            lambda: rows.filter(status__in=Task.TERMINAL).count() >= count,
            timeout, 0.5, "dispatched tasks to finish",
        )  # fmt: skip
    except TimeoutError:
        raise RuntimeError("tasks did not finish:\n" + "\n".join(p.tail() for p in procs)) from None
    return list(rows.values_list("scheduled_at", "started_at", "ended_at", "status", "remark"))


def _our_round(bench: common.Bench, k: int) -> tuple[float, int]:
    from django.utils import timezone

    from tasks.models import Task

    batch = _create(_devices(), k, timezone.now())
    cluster = common.manage("qcluster", name="qcluster", log_dir=bench.var_dir)
    dispatcher = common.manage("dispatch", name="dispatcher", log_dir=bench.var_dir)
    try:
        rows = _wait_done(batch, k, 600, [cluster, dispatcher])
    finally:
        dispatcher.stop()
        cluster.stop()
    ends = sorted(r[2].timestamp() for r in rows)
    failed = sum(1 for r in rows if r[3] == Task.Status.FAILED)
    return (len(ends) - 1) / (ends[-1] - ends[0]), failed


def _latency(bench: common.Bench, rate: float, seconds: float, memory: dict) -> dict:
    from django.utils import timezone

    from tasks.models import Task

    cluster = common.manage("qcluster", name="qcluster", log_dir=bench.var_dir)
    dispatcher = common.manage("dispatch", name="dispatcher", log_dir=bench.var_dir)
    try:
        time.sleep(3)  # both up and idle before the first task falls due
        count = max(10, int(rate * seconds))
        start = timezone.now() + timedelta(seconds=2)
        batch = _create(_devices(), count, start, timedelta(seconds=1 / rate))
        rows = _wait_done(batch, count, seconds + 120, [cluster, dispatcher])
        memory["qcluster"] = common.tree_memory(cluster.pid)
        memory["dispatcher"] = common.tree_memory(dispatcher.pid)
    finally:
        dispatcher.stop()
        cluster.stop()
    lat = [(r[1] - r[0]).total_seconds() for r in rows if r[1] is not None]
    return {
        "tasks": count,
        "rate": rate,
        "p50_s": percentile(lat, 50),
        "p99_s": percentile(lat, 99),
        "max_s": max(lat),
        "failed": sum(1 for r in rows if r[3] == Task.Status.FAILED),
        "failed_remarks": sorted({r[4] for r in rows if r[3] == Task.Status.FAILED})[:5],
    }
