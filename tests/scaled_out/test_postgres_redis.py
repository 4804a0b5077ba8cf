"""The scaled-out deployment: PostgreSQL shared by several farm hosts, Redis as the broker."""

import json
import time


def last_json_line(output: str):
    # `manage.py shell` may print notices first (e.g. its automatic imports).
    return json.loads(output.strip().splitlines()[-1])


SETUP_TWO_HOSTS = """
from core.licensing import ensure_trial
from devices.models import Device
ensure_trial()
from tasks.models import Task
for host in ("shelf-a", "shelf-b"):
    for n in range(30):
        d = Device.objects.create(serial=f"{host}-{n}", host=host, state="online")
        Task.objects.create(device=d, serial=d.serial, script_name="follow")
"""

COUNT_RUNNING = """
from tasks.models import Task
from django.db.models import Count
import json
rows = Task.objects.filter(status=1).values_list("host").annotate(n=Count("id"))
print(json.dumps(dict(rows)))
"""


RACE_CLAIM = """
import os, pathlib, time
from django.db import connection
from tasks import scheduling
connection.ensure_connection()
pathlib.Path(os.environ["READY_FILE"]).touch()
while not pathlib.Path(os.environ["GO_FILE"]).exists():
    time.sleep(0.001)
print(len(scheduling.claim_due_tasks()))
"""


def test_two_hosts_racing_never_exceed_the_licence_limit(postgres_url, manage, tmp_path):
    env = {"DATABASE_URL": postgres_url, "WORKERS": "50", "GO_FILE": str(tmp_path / "go")}
    manage("migrate", "--noinput", env=env)
    manage("shell", "-c", SETUP_TWO_HOSTS, env=env)
    # Both hosts claim at the same instant; each alone would take 20 (the trial's limit).
    racers = []
    for host in ("shelf-a", "shelf-b"):
        ready = tmp_path / f"ready-{host}"
        host_env = {**env, "FARM_HOST": host, "READY_FILE": str(ready)}
        racers.append(manage("shell", "-c", RACE_CLAIM, env=host_env, background=True))
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{h}").exists() for h in ("shelf-a", "shelf-b")):
        assert time.monotonic() < deadline, "the racers never got ready"
        time.sleep(0.01)
    (tmp_path / "go").touch()
    for racer in racers:
        output, _ = racer.communicate(timeout=120)
        assert racer.returncode == 0, output
    running = last_json_line(manage("shell", "-c", COUNT_RUNNING, env=env).stdout)
    assert sum(running.values()) == 20
    assert set(running) <= {"shelf-a", "shelf-b"}


ENQUEUE_PROBE = """
from django.conf import settings
from django_q.tasks import async_task
print(async_task("web.health.check_database", cluster=settings.FARM_QUEUE))
"""

FETCH_RESULT = """
import json
from django_q.tasks import fetch
task = fetch("{task_id}")
print(json.dumps(None if task is None else [task.success, task.result]))
"""


def test_a_redis_broker_delivers_to_this_hosts_cluster(postgres_url, redis_url, manage):
    env = {"DATABASE_URL": postgres_url, "REDIS_URL": redis_url, "FARM_HOST": "shelf-a",
           "WORKERS": "1"}  # fmt: skip
    manage("migrate", "--noinput", env=env)
    cluster = manage("qcluster", env=env, background=True)
    try:
        task_id = manage("shell", "-c", ENQUEUE_PROBE, env=env).stdout.strip().splitlines()[-1]
        deadline = time.monotonic() + 60
        result = None
        while time.monotonic() < deadline and result is None:
            time.sleep(0.5)
            out = manage("shell", "-c", FETCH_RESULT.format(task_id=task_id), env=env).stdout
            result = last_json_line(out)
        assert result == [True, "ok"]
    finally:
        cluster.terminate()
        try:
            cluster.wait(timeout=20)
        except Exception:
            cluster.kill()
