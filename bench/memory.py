"""6. Memory: peak RSS of each process of a busy farm host, and of the simulator per phone.

One host as ``serve`` runs it, on the API benchmark's database (1 M tasks; quick: 100 k): the
web server (``serve --only web``) answering API lists and details from the load generator,
the worker cluster and the dispatcher running ``diagnostic`` tasks on simulated phones. Peak
RSS (VmHWM) is read from /proc just before each process is stopped; PSS totals count pages
shared by forked processes once. The simulator's figure is its process's peak RSS growth
divided by the phones it runs.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bench import api, common, dispatch


def main(name: str, quick: bool, run_dir: Path) -> None:
    bench = common.setup(name, quick, run_dir, WORKERS=str(dispatch.WORKERS))
    seed = common.Seed(tasks=100_000 if quick else 1_000_000, devices=500, accounts_per_device=8)
    common.use_seed(bench, seed)
    from django.utils import timezone

    from devices.models import Device
    from tasks.models import Task

    phones_n = 50 if quick else 300
    common.adb_server(bench)
    phones_proc, phones = common.start_phones(bench, phones_n)
    # The seed's 500 phones are not real: offline, so the dispatcher leaves their tasks alone.
    Device.objects.update(state=Device.State.OFFLINE)
    common.insert_devices(phones["serials"], first_index=Device.objects.count() + 1)
    token = common.api_token(bench)
    serials = list(Device.objects.values_list("serial", flat=True))
    specs = api.endpoints(token, serials, (1, seed.tasks))
    web, base = common.start_web(bench)
    cluster = common.manage("qcluster", name="qcluster", log_dir=bench.var_dir)
    dispatcher = common.manage("dispatch", name="dispatcher", log_dir=bench.var_dir)
    try:
        ids = [(s, pk) for s, pk in dispatch._devices() if s in set(phones["serials"])]
        count = phones_n * 2
        batch = dispatch._create(ids, count, timezone.now() + timedelta(seconds=1))
        seconds = 3.0 if quick else 8.0
        for label in ("GET /task?status=3&page_size=20", "GET /task/{id}", "GET /task/stats"):
            common.run_load(base, specs[label], conns=8, seconds=seconds, max_requests=20_000)
        dispatch._wait_done(batch, count, 300, [cluster, dispatcher])
        trees = {
            "web (gunicorn)": common.tree_memory(web.pid),
            "workers (qcluster)": common.tree_memory(cluster.pid),
            "dispatcher": common.tree_memory(dispatcher.pid),
        }
        done = Task.objects.filter(batch_id=batch, status=Task.Status.COMPLETED).count()
    finally:
        dispatcher.stop()
        cluster.stop()
        web.stop()
        phones_end = common.stop_phones(bench, phones_proc, phones_n)
    targets = {"web (gunicorn)": 150, "workers (qcluster)": 120, "dispatcher": None}
    rows = []
    for role, procs in trees.items():
        # The supervisor (`serve`) and gunicorn's master are not the web workers themselves.
        measured = procs[1:] if "web" in role else procs
        peak = max(p["peak_rss_mb"] for p in measured)
        total_pss = sum(p["pss_mb"] for p in procs)
        target = targets[role]
        verdict = "" if target is None else ("met" if peak <= target else "MISSED")
        rows.append([role, len(procs), f"{peak:.0f}", f"{total_pss:.0f}",
                     f"≤{target} MB" if target else "", verdict])  # fmt: skip
    per_phone = (phones_end.get("peak_rss_kb", 0) - phones["rss_before_kb"]) / phones_n / 1024
    rows.append([f"simulator, per phone ({phones_n} phones)", 1, f"{per_phone:.2f}", "",
                 "≤1 MB", "met" if per_phone <= 1 else "MISSED"])  # fmt: skip
    common.save(
        bench,
        f"Memory, peak RSS per process (MB): API load + {count} diagnostic tasks "
        f"({done} completed) on {phones_n} phones, WORKERS={dispatch.WORKERS}",
        ["role", "processes", "max peak RSS MB", "tree PSS now MB", "target", ""],
        rows,
        {"trees": trees, "phones": {**phones, "serials": None, "spare": None, **phones_end}},
    )
