"""``python -m bench [--quick] [--only NAME[,NAME]]``: run the benchmarks, print their tables.

Each benchmark runs in a child process of its own (``--child NAME``) with a private install in
one temporary run folder, which is removed at the end (``--keep`` keeps it, with the logs).
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, install_signal_handlers

# In run order: `api` builds the big seeded database that `fanout` and `dashboard` reuse.
BENCHMARKS = {
    "api": "bench.api",
    "fanout": "bench.fanout",
    "dashboard": "bench.dashboard",
    "dispatch": "bench.dispatch",
    "device_io": "bench.device_io",
    "device_steps": "bench.device_steps",
    "memory": "bench.memory",
}
# Run only when named (`--only chaos`, `make chaos`): not a measurement of speed.
ON_REQUEST = {
    "chaos": "bench.chaos",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (< 3 min)")
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of {list(BENCHMARKS | ON_REQUEST)}"
    )
    parser.add_argument("--keep", action="store_true", help="keep the run folder (logs, DBs)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    install_signal_handlers()
    if args.child:
        module = importlib.import_module((BENCHMARKS | ON_REQUEST)[args.child])
        module.main(args.child, args.quick, Path(args.run_dir))
        return 0
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(BENCHMARKS)
    unknown = set(names) - set(BENCHMARKS | ON_REQUEST)
    if unknown:
        choices = list(BENCHMARKS | ON_REQUEST)
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {choices}")
    run_dir = Path(tempfile.mkdtemp(prefix="tikmatrix-bench-"))
    command = "python -m bench" + (" --quick" if args.quick else "")
    command += f" --only {args.only}" if args.only else ""
    print(f"{command}  (run folder {run_dir})", flush=True)
    failed = []
    started = time.monotonic()
    try:
        for name in names:
            t0 = time.monotonic()
            print(f"\n== {name} ==", flush=True)
            child = [sys.executable, "-m", "bench", "--child", name, "--run-dir", str(run_dir)]
            env = {**os.environ, "BENCH_COMMAND": command}
            code = subprocess.call(child + (["--quick"] if args.quick else []), cwd=ROOT, env=env)
            print(f"({name}: {time.monotonic() - t0:.0f} s)", flush=True)
            if code != 0:
                failed.append(name)
        print(f"\n== summary ({time.monotonic() - started:.0f} s) ==\n")
        for name in names:
            table = run_dir / f"{name}.md"
            print(table.read_text() if table.exists() else f"### {name}: FAILED\n")
    finally:
        if args.keep:
            print(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
