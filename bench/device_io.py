"""4. Device I/O, on a private adb server with the phones in a process of their own.

* Push: a 50 MB file to one simulated phone through ``devices.adb`` (``PhoneLink.push``) and with
  ``adb push`` (the same adb binary as the server), alternating, medians over rounds.
* Device watcher: ``manage.py watch_devices`` is running; N more phones are ``adb connect``-ed
  at once (16 threads). Every 50 ms the benchmark polls both the adb server's list and the
  Device rows, so each phone's reaction is "row online" minus "listed by adb" (±50 ms).
"""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench import common
from bench.common import median, percentile

PUSH_MB = 50


def main(name: str, quick: bool, run_dir: Path) -> None:
    bench = common.setup(name, quick, run_dir)
    common.use_seed(bench, common.Seed())
    server = common.adb_server(bench)
    count = 50 if quick else 300
    phones_proc, phones = common.start_phones(bench, 1, spare=count)
    try:
        push = _push(bench, server, phones["serials"][0], 3 if quick else 5)
        watcher = _watcher(bench, phones["serials"][0], phones["spare"])
    finally:
        common.stop_phones(bench, phones_proc, 1)
    ratio = median(a / o for a, o in zip(push["adb_s"], push["ours_s"], strict=True))
    adb_mbs, ours_mbs = PUSH_MB / median(push["adb_s"]), PUSH_MB / median(push["ours_s"])
    rows = [
        [f"adb push {PUSH_MB} MB", f"{median(push['adb_s']):.2f} s ({adb_mbs:.0f} MB/s)",
         "1.00×", "", ""],
        [f"devices.adb PhoneLink.push {PUSH_MB} MB",
         f"{median(push['ours_s']):.2f} s ({ours_mbs:.0f} MB/s)", f"{ratio:.2f}×", "≥0.9×",
         "met" if ratio >= 0.9 else "MISSED"],
        [f"{count} phones connect at once: all listed by adb", f"{watcher['adb_all_s']:.2f} s",
         "", "", ""],
        ["… all rows online (watcher)", f"{watcher['db_all_s']:.2f} s", "", "", ""],
        ["… per-phone reaction (row online − adb lists it) p50 / p99",
         f"{watcher['p50_s']:.2f} / {watcher['p99_s']:.2f} s", "", "", ""],
        ["… all phones' details read (model, battery, thumbnail)",
         f"{watcher['details_all_s']:.1f} s ({watcher['details']}/{count})", "", "", ""],
    ]  # fmt: skip
    common.save(
        bench,
        f"Device I/O: push {PUSH_MB} MB (median of {len(push['adb_s'])}), watcher with "
        f"{count} phones",
        ["measure", "value", "× adb", "target", ""],
        rows,
        {"push": push, "watcher": watcher},
    )


def _push(bench: common.Bench, server, serial: str, rounds: int) -> dict:
    from devices.adb import Adb

    source = bench.var_dir / "push.bin"
    source.write_bytes(os.urandom(PUSH_MB * 1024 * 1024))
    phone = Adb(server.host, server.port, timeout=60).device(serial)
    env = dict(os.environ, **server.env, ANDROID_ADB_SERVER_PORT=str(server.port))
    cli = [server.binary, "-P", str(server.port), "-s", serial, "push", str(source)]
    ours, theirs = [], []
    for round_no in range(rounds):
        for who in ("adb", "ours") if round_no % 2 == 0 else ("ours", "adb"):
            started = time.perf_counter()
            if who == "adb":
                subprocess.run([*cli, "/sdcard/bench-adb.bin"], env=env, check=True,
                               capture_output=True, timeout=300)  # fmt: skip
                theirs.append(time.perf_counter() - started)
            else:
                size = phone.push(source, "/sdcard/bench-ours.bin")
                ours.append(time.perf_counter() - started)
                assert size == PUSH_MB * 1024 * 1024, size
            phone.shell("rm -f /sdcard/bench-adb.bin /sdcard/bench-ours.bin")
        print(f"  push round {round_no + 1}: adb {theirs[-1]:.2f} s, ours {ours[-1]:.2f} s")
    source.unlink()
    return {"adb_s": theirs, "ours_s": ours}


def _watcher(bench: common.Bench, probe: str, serials: list[str]) -> dict:
    from devices.adb import Adb
    from devices.models import Device

    adb = Adb(timeout=30)
    watcher = common.manage("watch_devices", name="watcher", log_dir=bench.var_dir)
    online = Device.objects.filter(state=Device.State.ONLINE)
    try:
        common.wait_for(lambda: online.filter(serial=probe).exists(), 60, 0.1, "the watcher")
        wanted = set(serials)
        adb_seen: dict[str, float] = {}
        db_seen: dict[str, float] = {}
        detail_seen: dict[str, float] = {}
        pool = ThreadPoolExecutor(16)
        t0 = time.monotonic()
        futures = [pool.submit(adb.connect, s) for s in serials]
        deadline = t0 + 180
        while time.monotonic() < deadline and len(detail_seen) < len(wanted):
            now = time.monotonic() - t0
            for listing in adb.devices():
                if listing.serial in wanted and listing.state == "device":
                    adb_seen.setdefault(listing.serial, now)
            now = time.monotonic() - t0
            rows = online.filter(serial__in=wanted).values_list("serial", "model")
            for serial, model in rows:
                db_seen.setdefault(serial, now)
                if model:
                    detail_seen.setdefault(serial, now)
            time.sleep(0.05)
        for future in futures:
            future.result()
        pool.shutdown()
        memory = common.tree_memory(watcher.pid)
    finally:
        watcher.stop()
    reaction = [db_seen[s] - adb_seen[s] for s in db_seen if s in adb_seen]
    return {
        "phones": len(wanted),
        "adb_all_s": max(adb_seen.values()) if len(adb_seen) == len(wanted) else float("nan"),
        "db_all_s": max(db_seen.values()) if len(db_seen) == len(wanted) else float("nan"),
        "details_all_s": max(detail_seen.values(), default=float("nan")),
        "details": len(detail_seen),
        "p50_s": percentile(reaction, 50),
        "p99_s": percentile(reaction, 99),
        "memory": memory,
    }
