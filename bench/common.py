"""What every benchmark shares: a private install in a temp folder, seeded databases, child
processes that are always killed, a load generator, statistics and the results file.

Each benchmark runs in its own Python process (``python -m bench --child NAME``): settings are
read from the environment at import, so a benchmark sets its environment (``VAR_DIR`` in a temp
folder, ``DEBUG=0``, a private adb server port, a licence key …) and only then sets Django up.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
FARM_HOST = "bench-host"
OWNER = "bench"
LOOPBACK = "127.0.0.1"


# -- small helpers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def percentile(values: Iterable[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); NaN for no values."""
    data = sorted(values)
    if not data:
        return float("nan")
    pos = (len(data) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (pos - low)


def median(values: Iterable[float]) -> float:
    return percentile(values, 50)


def wait_for(predicate: Callable[[], object], timeout: float, every: float = 0.1, what: str = ""):
    """Poll until ``predicate()`` is truthy; raise TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what or predicate}")
        time.sleep(every)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


# -- processes (always killed) -----------------------------------------------------------------

_LIVE: list[Proc] = []


class Proc:
    """A child in its own process group, logging to a file; ``stop()`` ends the whole group."""

    def __init__(self, name: str, argv: list[str], log_dir: Path, **popen) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child owns it)
        self.popen = subprocess.Popen(
            argv, cwd=ROOT, stdout=popen.pop("stdout", log), stderr=subprocess.STDOUT,
            start_new_session=True, **popen,
        )  # fmt: skip
        log.close()
        _LIVE.append(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)  # stray grandchildren (pool workers) too
        self.popen.wait()
        if self in _LIVE:
            _LIVE.remove(self)

    def tail(self, chars: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""


def stop_all() -> None:
    for proc in list(reversed(_LIVE)):
        proc.stop(grace=3)


atexit.register(stop_all)


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwind: context managers and atexit stop the children


def install_signal_handlers() -> None:
    signal.signal(signal.SIGTERM, _terminate)


def manage(*args: str, name: str, log_dir: Path, **popen) -> Proc:
    return Proc(name, [sys.executable, str(ROOT / "manage.py"), *args], log_dir, **popen)


# -- memory (Linux /proc) ----------------------------------------------------------------------


def proc_status_kb(pid: int, key: str) -> int:
    """A ``/proc/PID/status`` size in kB (VmHWM = peak RSS, VmRSS = current); 0 if gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pss_kb(pid: int) -> int:
    """Proportional set size: shared (forked) pages split between the processes using them."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    return ""


def tree_memory(pid: int) -> list[dict]:
    """Peak RSS, RSS and PSS (MB) of every process in ``pid``'s tree."""
    return [
        {
            "pid": p,
            "cmd": cmdline(p)[-80:],
            "peak_rss_mb": proc_status_kb(p, "VmHWM") / 1024,
            "rss_mb": proc_status_kb(p, "VmRSS") / 1024,
            "pss_mb": pss_kb(p) / 1024,
        }
        for p in descendants(pid)
    ]


# -- a private install -------------------------------------------------------------------------


@dataclass
class Bench:
    """One benchmark's private install: its folder, environment and licence."""

    name: str
    quick: bool
    run_dir: Path
    var_dir: Path = field(init=False)
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.var_dir = self.run_dir / self.name
        self.var_dir.mkdir(parents=True, exist_ok=True)

    @property
    def db_path(self) -> Path:
        return self.var_dir / "tikmatrix.sqlite3"


def licence_keys(run_dir: Path) -> tuple[bytes, str]:
    """One Ed25519 issuer per run (shared by the children through the run folder)."""
    pem_path, pub_path = run_dir / "licence.pem", run_dir / "licence.pub"
    if not pem_path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key = Ed25519PrivateKey.generate()
        pem_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        pub_path.write_text(base64.b64encode(raw).decode())
    return pem_path.read_bytes(), pub_path.read_text().strip()


def setup(name: str, quick: bool, run_dir: Path, **env: str) -> Bench:
    """Point this process (and the children it starts) at a fresh private install, then set
    Django up. ``env`` adds or overrides variables (WORKERS, ADB_SERVER_PORT …)."""
    bench = Bench(name, quick, run_dir)
    _, public_key = licence_keys(run_dir)
    secrets_file = run_dir / "secrets.json"
    if not secrets_file.exists():
        from cryptography.fernet import Fernet

        secrets_file.write_text(
            json.dumps({"secret": uuid.uuid4().hex * 2, "fernet": Fernet.generate_key().decode()})
        )
    secrets = json.loads(secrets_file.read_text())
    bench.env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_BARE_VIEW": "1",
        "VAR_DIR": str(bench.var_dir),
        "DEBUG": "0",
        "SECRET_KEY": secrets["secret"],
        "FIELD_ENCRYPTION_KEY": secrets["fernet"],
        "FARM_HOST": FARM_HOST,
        "BIND": LOOPBACK,
        "PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
        "LICENCE_PUBLIC_KEYS": public_key,
        # The throttle stays on (its cache read/write is part of every API request) with a rate
        # the load cannot reach and a 1 s window (a minute window at 6000/min would pickle a
        # 6000-entry history per request, which we measure separately if ever needed).
        "API_THROTTLE_RATE": "100000/s",
        # Never the default adb server (5037): each benchmark that needs one starts its own.
        "ADB_SERVER_PORT": str(free_port()),
        "ADB_SERVER_AUTOSTART": "0",
        **env,
    }
    for name_ in ("DATABASE_URL", "REDIS_URL", "API_OPEN_ON_LOCALHOST"):
        os.environ.pop(name_, None)
    os.environ.update(bench.env)
    import django

    django.setup()
    return bench


def adb_server(bench: Bench):
    """A private adb server on the port in ADB_SERVER_PORT, with a private HOME (its keys)."""
    from devices.adb import AdbServer, adb_binary

    home = bench.var_dir / "adb-home"
    home.mkdir(exist_ok=True)
    server = AdbServer(
        LOOPBACK, int(bench.env["ADB_SERVER_PORT"]), adb_binary(), {"HOME": str(home)}
    )
    server.start()
    atexit.register(server.kill)
    return server


# -- seeded databases --------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    tasks: int = 0
    devices: int = 0
    accounts_per_device: int = 0

    @property
    def key(self) -> str:
        return f"t{self.tasks}-d{self.devices}-a{self.accounts_per_device}"


def use_seed(bench: Bench, seed: Seed) -> dict:
    """Give ``bench`` a migrated database holding ``seed`` (built once per run, then copied).
    Returns facts about it (build time, owner)."""
    from django.db import connection

    store = bench.run_dir / "seeds"
    store.mkdir(exist_ok=True)
    template = store / f"{seed.key}.sqlite3"
    info_path = store / f"{seed.key}.json"
    connection.close()
    if template.exists():
        shutil.copyfile(template, bench.db_path)
        return json.loads(info_path.read_text())
    started = time.perf_counter()
    info = _build(seed)
    info["build_seconds"] = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    shutil.copyfile(bench.db_path, template)
    info_path.write_text(json.dumps(info))
    return info


def _build(seed: Seed) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from core import licensing
    from core.roles import Role, set_role

    call_command("migrate", "--noinput", verbosity=0)
    pem, _ = licence_keys(Path(os.environ["VAR_DIR"]).parent)
    # Business plan, room for every simulated phone: the licence must not be what we measure.
    licensing.install_key(licensing.issue_key(pem, plan="business", devices=1000, days=30))
    owner = get_user_model().objects.create_user(username=OWNER, password=uuid.uuid4().hex)
    set_role(owner, Role.OWNER)
    serials = insert_devices([f"{LOOPBACK}:{20000 + i}" for i in range(seed.devices)])
    if seed.accounts_per_device:
        insert_accounts(seed.accounts_per_device)
    if seed.tasks:
        insert_tasks(seed.tasks, serials)
    return {"tasks": seed.tasks, "devices": seed.devices, "owner": OWNER}


def insert_devices(serials: list[str], state: str = "online", first_index: int = 1) -> list[str]:
    from django.utils import timezone

    from devices.models import Device

    now = timezone.now()
    Device.objects.bulk_create(
        [
            Device(
                serial=s,
                index=first_index + i,
                state=state,
                host=FARM_HOST,
                model="Pixel 7",
                brand="google",
                android_version="14",
                sdk=34,
                screen="1080x2400",
                battery=80,
                last_seen=now,
            )
            for i, s in enumerate(serials)
        ],  # fmt: skip
        batch_size=1000,
    )
    return serials


def insert_accounts(per_device: int) -> None:
    from devices.models import Account, Device, Platform

    accounts = [
        Account(platform=Platform.TIKTOK, username=f"bench_{d.index}_{k}", device=d)
        for d in Device.objects.all()
        for k in range(per_device)
    ]
    Account.objects.bulk_create(accounts, batch_size=1000)


TASK_COLUMNS = (
    "device_id", "serial", "account_id", "username", "script_name", "script_config", "status",
    "source", "scheduled_at", "started_at", "ended_at", "remark", "retry_count", "progress",
    "step", "wait_reason", "batch_id", "batch_position", "host", "heartbeat_at",
    "stop_requested_at", "stop_requested_by", "app_version", "failure_screenshot",
    "failure_hierarchy", "created_by_id", "created_at", "updated_at",
)  # fmt: skip


def insert_tasks(count: int, serials: list[str]) -> None:
    """``count`` tasks with raw executemany, newest 5 % pending, 10 % failed, a few running,
    the rest completed; created two seconds apart, ending now."""
    from django.db import connection, transaction

    from devices.models import Device

    rng = random.Random(5)
    device_ids = dict(Device.objects.values_list("serial", "pk"))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    scripts = [
        ("follow", '{"target_users": ["someone_famous"], "platform": "tiktok", "retries": 1}'),
        ("post", '{"content_type": 0, "captions": "Daily clip #fyp", "material_list": []}'),
        ("unfollow", '{"count": 10, "platform": "tiktok"}'),
    ]
    pending_from = int(count * 0.95)
    running = set(range(pending_from - len(serials) // 2, pending_from))
    sql = (
        f"INSERT INTO tasks_task ({', '.join(TASK_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(TASK_COLUMNS))})"
    )
    batch = uuid.uuid4().hex
    rows = []
    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(count):
            serial = serials[i % len(serials)]
            created = now - dt.timedelta(seconds=2 * (count - i))
            script, config = scripts[0 if i % 10 < 6 else 1 if i % 10 < 9 else 2]
            if i in running:
                status, started, ended, remark = 1, created, None, ""
            elif i >= pending_from:
                status, started, ended, remark = 0, None, None, ""
            elif rng.random() < 0.10:
                status, started, ended = 3, created, created + dt.timedelta(seconds=40)
                remark = "the app showed a captcha"
            else:
                status, started, ended = 2, created, created + dt.timedelta(seconds=30)
                remark = "done"
            if i % 1000 == 0:
                batch = uuid.uuid4().hex
            rows.append((
                device_ids[serial], serial, None, "", script, config, status, "api",
                str(created), _opt(started), _opt(ended), remark, 0,
                100 if status == 2 else 0, "completed" if status == 2 else "", None, batch,
                i % 1000, FARM_HOST if status else "", _opt(started), None, "", "", "", "",
                None, str(created), str(ended or created),
            ))  # fmt: skip
            if len(rows) >= 20000:
                cursor.executemany(sql, rows)
                rows.clear()
        if rows:
            cursor.executemany(sql, rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _opt(value) -> str | None:
    return None if value is None else str(value)


def api_token(bench: Bench, username: str = OWNER) -> str:
    """A token as a user gets one: ``manage.py api_token USERNAME``."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "api_token", username, "--name", "bench"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


# -- the web server and the load generator -----------------------------------------------------


def start_web(bench: Bench) -> tuple[Proc, str]:
    """``manage.py serve --only web``: gunicorn as ``serve`` starts it, production settings."""
    proc = manage("serve", "--only", "web", "--grace", "5", name="web", log_dir=bench.var_dir)
    base = f"http://{LOOPBACK}:{bench.env['PORT']}"
    try:
        wait_for(lambda: http_ok(base + "/bench/bare"), 60, 0.2, "the web server")
    except TimeoutError:
        raise RuntimeError("web server did not start:\n" + proc.tail()) from None
    return proc, base


def run_load(base: str, spec: dict, *, conns: int, seconds: float, max_requests: int) -> dict:
    """Run ``bench.loadgen`` in its own process against ``base``; returns its JSON summary."""
    job = {**spec, "base": base, "conns": conns, "seconds": seconds, "max_requests": max_requests}
    out = subprocess.run(
        [sys.executable, "-m", "bench.loadgen"], input=json.dumps(job), cwd=ROOT,
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    )  # fmt: skip
    return json.loads(out.stdout)


# -- reporting ---------------------------------------------------------------------------------


def fmt(value, digits: int = 1) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(title: str, headers: list[str], rows: list[list]) -> str:
    """A Markdown table (what bench/README.md shows)."""
    lines = [f"### {title}", "", "| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> dict:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "loadavg_at_start": os.getloadavg()[0],
    }


def save(bench: Bench, title: str, headers: list[str], rows: list[list], data: dict) -> str:
    """Print the table, append it (and the raw figures) to bench/results/<date>.json, and
    leave a copy in the run folder for the parent's summary."""
    text = table(title, headers, rows)
    print(text, flush=True)
    record = {
        "benchmark": bench.name,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_id": bench.run_dir.name,
        "quick": bench.quick,
        "command": os.environ.get("BENCH_COMMAND", "python -m bench"),
        "machine": machine(),
        "title": title,
        "headers": headers,
        "rows": rows,
        "data": data,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{dt.date.today().isoformat()}.json"
    existing = json.loads(path.read_text()) if path.exists() else []
    existing.append(record)
    path.write_text(json.dumps(existing, indent=1, default=str) + "\n")
    (bench.run_dir / f"{bench.name}.md").write_text(text + "\n")
    return text


# -- simulated phones --------------------------------------------------------------------------


def start_phones(
    bench: Bench, count: int, *, spare: int = 0, connect: bool = True
) -> tuple[Proc, dict]:
    """``count`` simulated phones in their own process (see bench.phonehost), ``adb connect``-ed
    to the private server unless ``connect=False``; returns the process and its report."""
    out = bench.var_dir / f"phones-{count}.json"
    argv = [sys.executable, "-m", "bench.phonehost", "--count", str(count),
            "--spare", str(spare), "--out", str(out)]  # fmt: skip
    if connect:
        argv += ["--connect", bench.env["ADB_SERVER_PORT"]]
    proc = Proc("phones", argv, bench.var_dir)
    wait_for(lambda: out.exists() or not proc.alive(), 300, 0.2, "the simulated phones")
    if not out.exists():
        raise RuntimeError("the phone host died:\n" + proc.tail())
    return proc, json.loads(out.read_text())


def stop_phones(bench: Bench, proc: Proc, count: int) -> dict:
    """Stop the phone host; returns its peak RSS report."""
    proc.stop()
    end = (bench.var_dir / f"phones-{count}.json").with_suffix(".end")
    return json.loads(end.read_text()) if end.exists() else {}
