"""Many phones per process: per-phone memory and per-call cost stay small."""

import gc
import time
import tracemalloc

from phonesim.ui import PhoneUI

from .helpers import TT, FakeFS, tap


def test_memory_per_phone_under_1mb():
    fs = FakeFS()
    PhoneUI(fs).screencap_png()  # warm fonts and module state outside the measurement
    gc.collect()
    tracemalloc.start()
    start, _ = tracemalloc.get_traced_memory()
    phones = []
    for i in range(60):
        phone = PhoneUI(fs, seed=i)
        phone.start_app(TT)
        tap(phone, "like_button")
        phone.screencap_png()
        phones.append(phone)
    gc.collect()
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (used - start) / len(phones) < 1_000_000


def test_dump_and_cached_screencap_are_fast():
    phone = PhoneUI(FakeFS())
    phone.start_app(TT)
    phone.screencap_png()
    t = time.perf_counter()
    for _ in range(50):
        phone.dump_xml()
        phone.screencap_png()
    assert (time.perf_counter() - t) / 50 < 0.02
