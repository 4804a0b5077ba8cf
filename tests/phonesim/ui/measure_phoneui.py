"""Memory and speed of PhoneUI (not a test). Run:

.venv/bin/python -m tests.phonesim.ui.measure_phoneui
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from phonesim.ui import PhoneUI, render  # noqa: E402
from tests.phonesim.ui.helpers import IG, TT, FakeFS, find, tap  # noqa: E402

N = 300


def busy_phone(i: int, fs: FakeFS) -> PhoneUI:
    """A phone that has done a little of everything: apps running, media scanned, outcomes."""
    phone = PhoneUI(fs, seed=i)
    for k in range(3):
        path = f"/sdcard/DCIM/p{i}/{k}.mp4"
        fs.write(path, b"x" * 64)
        phone.media_scan(path)
    phone.start_app(IG)
    tap(phone, "row_feed_button_like")
    phone.start_app(TT)
    phone.open_url(f"https://www.tiktok.com/@user{i}")
    tap(phone, "follow_btn")
    phone.keyevent("BACK")
    phone.dump_xml()
    phone.screencap_png()
    return phone


def memory() -> None:
    fs = FakeFS()  # shared: file bytes belong to the simulator's fs, not to PhoneUI
    busy_phone(-1, fs)  # warm imports, fonts and caches
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    phones = [busy_phone(i, fs) for i in range(N)]
    gc.collect()
    after = tracemalloc.take_snapshot()
    diff = sum(s.size_diff for s in after.compare_to(before, "filename"))
    cache = sum(len(v) for v in render._CACHE.values())
    files = sum(len(v) for v in fs.files.values())
    per_phone = (diff - cache - files) / N
    print(f"{N} phones: {diff / 1e6:.1f} MB traced; PNG cache (shared) {cache / 1e6:.1f} MB")
    print(f"per phone (excluding shared PNG cache and fake fs): {per_phone / 1024:.1f} KiB")
    tracemalloc.stop()
    del phones


def timing() -> None:
    phone = PhoneUI(FakeFS())
    phone.start_app(TT)

    def clock(fn, n=200) -> float:
        times = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times) * 1000

    print(f"dump_xml: {clock(phone.dump_xml):.2f} ms (median), "
          f"{len(phone.dump_xml())} bytes")  # fmt: skip
    print(f"screencap_png, cached: {clock(phone.screencap_png):.3f} ms")

    def fresh() -> None:
        render._CACHE.clear()
        phone.screencap_png()

    print(f"screencap_png, uncached: {clock(fresh, 30):.1f} ms, {len(phone.screencap_png())} bytes")
    like = find(phone, "like_button")
    assert like is not None
    print(f"tap (build + hit-test + action): {clock(lambda: phone.tap(1000, 1300)):.2f} ms")


if __name__ == "__main__":
    memory()
    timing()
