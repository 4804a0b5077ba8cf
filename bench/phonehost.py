"""Simulated phones in a process of their own (``python -m bench.phonehost``), so that their
event loop does not share a GIL with what is being measured.

``--count N --out FILE [--connect PORT]``: starts N phones (plus ``--spare`` more that are not
connected), optionally ``adb connect``s them to the adb server on PORT, writes
``{"serials", "spare", "rss_before_kb", "rss_after_kb"}`` to FILE, then waits for SIGTERM,
printing its peak RSS to FILE's ``.end`` sibling on the way out.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import proc_status_kb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--spare", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--connect", type=int, default=0, help="adb server port")
    args = parser.parse_args()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    from phonesim import Farm

    import_rss = proc_status_kb(_pid(), "VmRSS")
    with Farm() as farm:
        base_rss = proc_status_kb(_pid(), "VmRSS")
        phones = farm.start(args.count)
        spare = farm.start(args.spare)
        if args.connect:
            from devices.adb import Adb

            adb = Adb("127.0.0.1", args.connect, timeout=30)
            with ThreadPoolExecutor(16) as pool:
                list(pool.map(lambda p: adb.connect(p.serial), phones))
            for phone in phones:
                adb.wait_for(phone.serial, timeout=30)
        after = proc_status_kb(_pid(), "VmRSS")
        out = Path(args.out)
        partial = out.with_suffix(".tmp")
        partial.write_text(
            json.dumps(
                {
                    "serials": [p.serial for p in phones],
                    "spare": [p.serial for p in spare],
                    "rss_import_kb": import_rss,
                    "rss_before_kb": base_rss,
                    "rss_after_kb": after,
                }
            )
        )
        partial.replace(out)
        stop.wait(3600)
        end = {
            "peak_rss_kb": proc_status_kb(_pid(), "VmHWM"),
            "rss_kb": proc_status_kb(_pid(), "VmRSS"),
        }
        out.with_suffix(".end").write_text(json.dumps(end))


def _pid() -> int:
    import os

    return os.getpid()


if __name__ == "__main__":
    main()
