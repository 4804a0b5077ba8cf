"""Chaos: tasks on simulated phones while the farm is killed, frozen and unplugged (issue 12).

``make chaos`` (= ``python -m bench --only chaos``: 200 tasks on 10 phones; ``--quick``: 60 on 5).

A private install (``bench.common.setup``), an adb server in the foreground that this process
owns (so it can be restarted and frozen), the phones in this process (so their faults can be
switched and their apps' records read), and the farm as a user runs it: ``manage.py serve --only
workers,dispatcher,watcher``. The tasks are posts from the media library (each with its own
caption), comments (each with its own text) and follows (each of its own user), in device mode,
all due at once.

While they run, one fault every few seconds, from a shuffled, bounded mix: a worker running a
task SIGKILLed, the dispatcher SIGKILLed, ``serve`` SIGKILLed then started again, ``serve``
SIGTERMed then started again, the adb server restarted, the adb server frozen (SIGSTOP) past the
device layer's timeout, a phone unplugged right after a post was tapped, and a phone whose
uploads confirm later than the task waits. Then the farm is left alone until every task has
ended (or the settle time runs out) and the run is counted, from the database and from the
simulated apps' own records:

- created, completed, failed with a reason (the phone's or the app's);
- lost: failed for the farm's own troubles (a worker, the dispatcher, serve, the adb server,
  the queue), or without a reason;
- run twice: two runs driving one phone at once (from the step log, whose lines name their run),
  or a follow / comment the apps recorded twice;
- published twice: a post whose media or caption the apps published twice;
- stuck: not ended after the settle time.
"""

from __future__ import annotations

import collections
import contextlib
import os
import random
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from bench import common

WORKERS = 10
UPLOAD_WAIT = 5  # seconds a post waits for the app's confirmation
LATE_UPLOAD = 9  # seconds a "late" upload takes
FREEZE = 24  # seconds the adb server stays frozen: past the device layer's 20 s timeout
# Remarks of failures that are the farm's own doing, not the phone's or the app's.
FARM_TROUBLE = ("stopped responding", "never started", "interrupted", "shutdown",
                "adb server", "worker queue", "killed")  # fmt: skip


class ForegroundAdbServer:
    """``adb server nodaemon`` as our child: restart, freeze and thaw it at will."""

    def __init__(self, port: int, home: Path) -> None:
        from devices.adb import adb_binary

        self.port, self.home, self.binary = port, home, adb_binary()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "HOME": str(self.home), "ANDROID_ADB_SERVER_PORT": str(self.port)}
        self.proc = subprocess.Popen(
            [self.binary, "-P", str(self.port), "server", "nodaemon"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        common.wait_for(self.answers, 20, 0.1, "the adb server")

    def answers(self) -> bool:
        try:
            with socket.create_connection((common.LOOPBACK, self.port), timeout=1) as conn:
                conn.sendall(b"000chost:version")
                return conn.recv(4) == b"OKAY"
        except OSError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()

    def freeze(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)


class Farm:
    """The farm under test: ``serve`` (restartable), the adb server, the phones."""

    def __init__(self, bench: common.Bench, server: ForegroundAdbServer, phones: list) -> None:
        from devices.adb import Adb

        self.bench, self.server, self.phones = bench, server, phones
        self.adb = Adb(common.LOOPBACK, server.port, timeout=5)
        self.serve: common.Proc | None = None
        self.starts = 0
        self.orphans = 0  # children still alive 20 s after serve was SIGKILLed
        self.sigterm_exits: list[float] = []  # seconds serve took to exit after SIGTERM
        self._stop = threading.Event()
        self._unplugged: dict[str, float] = {}
        self._keeper = threading.Thread(target=self._keep_phones_connected, daemon=True)

    # -- serve --------------------------------------------------------------------------------

    def start_serve(self) -> None:
        """Start serve; while the last one's processes still hold the host lock, try again."""
        deadline = time.monotonic() + 60
        while True:
            self.starts += 1
            argv = ("serve", "--only", "workers,dispatcher,watcher", "--grace", "15")
            proc = common.manage(*argv, name=f"serve-{self.starts}", log_dir=self.bench.var_dir)
            time.sleep(3)
            if proc.alive():
                self.serve = proc
                return
            if "already running" not in proc.tail() or time.monotonic() > deadline:
                raise RuntimeError("serve did not start:\n" + proc.tail())
            time.sleep(1)

    def children(self) -> list[int]:
        return [pid for pid in common.descendants(self.serve.pid) if pid != self.serve.pid]

    def child(self, command: str) -> int | None:
        for pid in self.children():
            if f"manage.py\x00{command}".replace("\x00", " ") in common.cmdline(pid):
                return pid
        return None

    # -- phones -------------------------------------------------------------------------------

    def keep_phones_connected(self) -> None:
        self._keeper.start()

    def _keep_phones_connected(self) -> None:
        """Phones are plugged back in 3 s after being pulled, and re-connected when the adb
        server forgot them (a restart), as USB phones would be found again by the server."""
        while not self._stop.wait(0.5):
            with contextlib.suppress(Exception):
                listed = {d.serial: d.state for d in self.adb.devices()}
                for phone in self.phones:
                    self._look_after(phone, listed)

    def _look_after(self, phone, listed: dict[str, str]) -> None:
        if not phone.listening:
            since = self._unplugged.setdefault(phone.serial, time.monotonic())
            if time.monotonic() - since >= 3:
                phone.replug()
                self._unplugged.pop(phone.serial, None)
            return
        if listed.get(phone.serial) != "device":
            with contextlib.suppress(Exception):
                self.adb.connect(phone.serial, timeout=3)

    def close(self) -> None:
        self._stop.set()
        if self.serve is not None:
            self.serve.stop(grace=20)


# -- faults -----------------------------------------------------------------------------------


def kill_a_worker(farm: Farm, rng: random.Random) -> str:
    from tasks.models import Task

    busy = [w for w in Task.objects.running().values_list("worker", flat=True) if ":" in w]
    pids = [int(w.rsplit(":", 1)[1]) for w in busy]
    if not pids:
        return "no task running: nothing to kill"
    pid = rng.choice(pids)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return f"SIGKILL worker {pid}"


def kill_the_dispatcher(farm: Farm, rng: random.Random) -> str:
    pid = farm.child("dispatch")
    if pid is None:
        return "no dispatcher running"
    os.kill(pid, signal.SIGKILL)
    return f"SIGKILL dispatcher {pid}"


def kill_serve(farm: Farm, rng: random.Random) -> str:
    children = farm.children()
    os.kill(farm.serve.pid, signal.SIGKILL)
    farm.serve.popen.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in children):
        time.sleep(0.2)
    survivors = [p for p in children if Path(f"/proc/{p}").exists() and not _zombie(p)]
    farm.orphans += len(survivors)
    for pid in survivors:  # do not let them spoil the rest of the run
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    farm.start_serve()
    return f"SIGKILL serve ({len(children)} children, {len(survivors)} survived); started again"


def term_serve(farm: Farm, rng: random.Random) -> str:
    started = time.monotonic()
    farm.serve.popen.send_signal(signal.SIGTERM)
    farm.serve.popen.wait(timeout=60)
    farm.sigterm_exits.append(time.monotonic() - started)
    farm.start_serve()
    return f"SIGTERM serve (exited in {farm.sigterm_exits[-1]:.1f} s); started again"


def restart_adb(farm: Farm, rng: random.Random) -> str:
    farm.server.kill()
    time.sleep(2)
    farm.server.start()
    return "adb server killed, started again 2 s later"


def freeze_adb(farm: Farm, rng: random.Random) -> str:
    farm.server.freeze()
    time.sleep(FREEZE)
    farm.server.thaw()
    return f"adb server frozen (SIGSTOP) for {FREEZE} s"


def unplug_after_post(farm: Farm, rng: random.Random) -> str:
    phone = _phone_posting(farm, rng)
    phone.faults.unplug_after_tap = "publish_button"
    return f"{phone.serial}: unplugged right after its next tap on Post"


def late_upload(farm: Farm, rng: random.Random) -> str:
    phone = _phone_posting(farm, rng)
    phone.ui.faults.upload_seconds = LATE_UPLOAD
    timer = threading.Timer(45, lambda: setattr(phone.ui.faults, "upload_seconds", 0))
    timer.daemon = True
    timer.start()
    return f"{phone.serial}: uploads confirm after {LATE_UPLOAD} s (tasks wait {UPLOAD_WAIT} s)"


def _phone_posting(farm: Farm, rng: random.Random):
    from tasks.models import Task

    serials = set(
        Task.objects.running().filter(script_name="post").values_list("serial", flat=True)
    )
    candidates = [p for p in farm.phones if p.serial in serials] or farm.phones
    return rng.choice(candidates)


FAULTS = {
    "worker SIGKILL": kill_a_worker,
    "dispatcher SIGKILL": kill_the_dispatcher,
    "serve SIGKILL + restart": kill_serve,
    "serve SIGTERM + restart": term_serve,
    "adb server restart": restart_adb,
    "adb server freeze": freeze_adb,
    "unplug mid-post": unplug_after_post,
    "late upload confirmation": late_upload,
}


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return True


# -- the run ----------------------------------------------------------------------------------


def main(name: str, quick: bool, run_dir: Path) -> None:
    phones_n, tasks_n = (5, 60) if quick else (10, 200)
    rounds = 1 if quick else 2  # each fault this many times
    bench = common.setup(
        name, quick, run_dir, WORKERS=str(WORKERS), HEARTBEAT_SECONDS="1",
        HEARTBEAT_STALE_SECONDS="6", VERIFY_DELAY_SECONDS="4", WORKER_SHUTDOWN_SECONDS="5",
        ADB_SERVER_AUTOSTART="0",
    )  # fmt: skip
    common.use_seed(bench, common.Seed())
    rng = random.Random(12)
    home = bench.var_dir / "adb-home"
    home.mkdir(exist_ok=True)
    server = ForegroundAdbServer(int(bench.env["ADB_SERVER_PORT"]), home)
    server.start()
    from phonesim import Farm as Phones

    started = time.monotonic()
    with Phones() as phones_farm:
        phones = phones_farm.start(phones_n, model="Pixel 7")
        farm = Farm(bench, server, phones)
        try:
            for phone in phones:
                farm.adb.connect(phone.serial)
            farm.start_serve()
            common.wait_for(lambda: _devices_online(phones_n), 60, 0.5, "the phones online")
            task_ids = _create_tasks(bench, phones, tasks_n)
            farm.keep_phones_connected()
            injected = _inject(farm, rng, rounds, interval=6 if quick else 8)
            settled = _settle(task_ids, 240 if quick else 420)
        finally:
            farm.close()
            server.kill()
        figures = _count(task_ids, phones)
    figures.update(
        phones=phones_n, seconds=round(time.monotonic() - started), settled=settled,
        faults=injected, orphans_after_serve_sigkill=farm.orphans,
        sigterm_exit_seconds=[round(s, 1) for s in farm.sigterm_exits],
    )  # fmt: skip
    _report(bench, figures)


def _devices_online(count: int) -> bool:
    from devices.models import Device

    return Device.objects.online().count() >= count


def _create_tasks(bench: common.Bench, phones: list, count: int) -> list[int]:
    """A third each of posts (library videos, own captions), comments and follows, spread over
    the phones, all due now."""
    from tasks.creation import CreateRequest, create_tasks
    from tasks.models import Material

    posts = count // 3 + count % 3
    root = Path(os.environ["VAR_DIR"]) / "materials"
    root.mkdir(parents=True, exist_ok=True)
    for n in range(posts):
        (root / f"chaos-{n}.mp4").write_bytes(
            b"\x00\x00\x00\x18ftypmp42" + f"clip {n}".encode() * 40
        )
        Material.objects.create(file=f"chaos-{n}.mp4", kind="video", size=1, sort=n)
    ids = []
    for n in range(count):
        serial = phones[n % len(phones)].serial
        kind = ("post", "comment", "follow")[n % 3]
        url = f"https://www.tiktok.com/@farm/video/{7 * 10**18 + n}"
        config = {
            "post": {"captions": f"chaos post {n} #fyp", "post_way": "addButton",
                     "upload_wait_time": UPLOAD_WAIT},
            "comment": {"target_post_urls": [url], "comment_content": f"chaos comment {n}"},
            "follow": {"target_user": f"chaos_user_{n}"},
        }[kind]  # fmt: skip
        ids += create_tasks(CreateRequest(kind, config, serials=[serial])).task_ids
    return ids


def _inject(farm: Farm, rng: random.Random, rounds: int, interval: float) -> list[dict]:
    """Each fault ``rounds`` times, shuffled, one every ``interval`` seconds."""
    plan = [name for name in FAULTS for _ in range(rounds)]
    rng.shuffle(plan)
    done = []
    for name in plan:
        time.sleep(interval)
        at = time.monotonic()
        what = FAULTS[name](farm, rng)
        done.append({"fault": name, "what": what, "seconds": round(time.monotonic() - at, 1)})
        print(f"  fault: {name}: {what}", flush=True)
    return done


def _settle(task_ids: list[int], timeout: float) -> bool:
    """Leave the farm alone until every task has ended; False if some had not by ``timeout``."""
    from tasks.models import Task

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Task.objects.filter(pk__in=task_ids, status__in=Task.ACTIVE).exists():
            return True
        time.sleep(1)
    return False


def _count(task_ids: list[int], phones: list) -> dict:
    from tasks.models import Task

    tasks = list(Task.objects.filter(pk__in=task_ids).values("pk", "status", "remark"))
    failed = [t for t in tasks if t["status"] == Task.Status.FAILED]
    lost = [t for t in failed if not t["remark"] or any(w in t["remark"] for w in FARM_TROUBLE)]
    posts = [p for phone in phones for p in phone.ui.outcomes.posts]
    follows = [(f.account, f.target) for phone in phones for f in phone.ui.outcomes.follows]
    comments = [c.text for phone in phones for c in phone.ui.outcomes.comments]
    return {
        "created": len(task_ids),
        "completed": sum(t["status"] == Task.Status.COMPLETED for t in tasks),
        "failed_with_reason": len(failed) - len(lost),
        "lost": len(lost) + len(task_ids) - len(tasks),
        "run_twice": _overlapping_runs(task_ids) + _twice(follows) + _twice(comments),
        "published_twice": max(
            _twice([p.media[0] for p in posts]), _twice([p.caption for p in posts])
        ),
        "stuck": sum(t["status"] in Task.ACTIVE for t in tasks),
        "posts_published": len(posts),
        "failure_reasons": collections.Counter(_gist(t["remark"]) for t in failed).most_common(),
        "lost_remarks": [t["remark"][:200] for t in lost],
    }


def _twice(items: list) -> int:
    """How many of ``items`` repeat an earlier one."""
    return len(items) - len(set(items))


def _gist(remark: str) -> str:
    return remark.split(":")[0][:60]


def _overlapping_runs(task_ids: list[int]) -> int:
    """Runs that drove a phone while another run (of any task) still held it: from the step
    log, each begun run spans its first to its last line (the reaper's line for a run whose
    worker died is the moment its phone was freed)."""
    from tasks.models import TaskEvent

    spans: dict = {}
    for run, serial, step, at in TaskEvent.objects.filter(
        task_id__in=task_ids, run_id__isnull=False
    ).values_list("run_id", "task__serial", "step", "at"):
        span = spans.setdefault(run, {"serial": serial, "first": at, "last": at, "began": False})
        span["first"], span["last"] = min(span["first"], at), max(span["last"], at)
        span["began"] |= step == "started"
    overlaps = 0
    by_phone = collections.defaultdict(list)
    for span in spans.values():
        if span["began"]:
            by_phone[span["serial"]].append(span)
    for runs in by_phone.values():
        runs.sort(key=lambda s: s["first"])
        for before, after in zip(runs, runs[1:], strict=False):
            overlaps += after["first"] < before["last"]
    return overlaps


def _report(bench: common.Bench, figures: dict) -> None:
    rows = [
        [figures["created"], figures["completed"], figures["failed_with_reason"], figures["lost"],
         figures["run_twice"], figures["published_twice"], figures["stuck"]],
    ]  # fmt: skip
    title = (
        f"Chaos: {figures['created']} tasks on {figures['phones']} phones, "
        f"{len(figures['faults'])} faults, {figures['seconds']} s"
    )
    headers = ["created", "completed", "failed with a reason", "lost", "run twice",
               "published twice", "stuck"]  # fmt: skip
    common.save(bench, title, headers, rows, figures)
    print(f"  posts published: {figures['posts_published']}; orphans after serve SIGKILL: "
          f"{figures['orphans_after_serve_sigkill']}; serve exits after SIGTERM (s): "
          f"{figures['sigterm_exit_seconds']}")  # fmt: skip
    for reason, n in figures["failure_reasons"]:
        print(f"  failed ({n}): {reason}")
