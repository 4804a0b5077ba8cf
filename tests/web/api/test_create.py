"""POST /api/v1/task: fan-out, modes, scheduling, aliases, materials, idempotency, speed."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditEntry
from devices.models import Account, Platform
from tasks.models import IdempotencyKey, Task
from tests.apihelp import errors, ok
from tests.tasks.factories import make_account, make_device

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_cache")]

URL = "/api/v1/task"


def create(client, **body):
    return client.post(URL, body, format="json")


@pytest.fixture
def phone():
    return make_device(serial="emulator-5554")


def test_one_post_task_on_one_phone_with_defaults_filled_in(as_operator, phone, operator):
    data = ok(
        create(
            as_operator,
            serials=[phone.serial],
            script_name="post",
            script_config={"captions": "hello"},
        )
    )

    assert data["created_count"] == 1
    task = Task.objects.get(pk=data["task_ids"][0])
    assert (task.device, task.serial, task.source) == (phone, phone.serial, "api")
    assert task.status == Task.Status.PENDING and task.created_by == operator
    assert task.script_config["captions"] == "hello"
    assert task.script_config["upload_wait_time"] == 30
    assert task.script_config["post_way"] == "share"
    assert task.script_config["add_sound"] == "-1"


def test_the_path_works_with_and_without_a_trailing_slash_and_never_redirects(as_operator, phone):
    body = {"serials": [phone.serial], "script_name": "account_warmup", "script_config": {}}
    for url in ("/api/v1/task", "/api/v1/task/"):
        response = as_operator.post(url, body, format="json")
        assert ok(response)["created_count"] == 1
    assert Task.objects.count() == 2


def test_follow_makes_one_task_per_target_per_phone_in_one_batch(as_operator):
    phones = [make_device(), make_device()]
    data = ok(
        create(
            as_operator,
            serials=[p.serial for p in phones],
            script_name="follow",
            script_config={"target_users": ["@alice", "bob", "carol"]},
        )
    )

    assert data["created_count"] == 6
    tasks = list(Task.objects.order_by("batch_position"))
    assert [t.batch_position for t in tasks] == list(range(6))
    assert len({t.batch_id for t in tasks}) == 1
    assert [(t.serial, t.script_config["target_users"]) for t in tasks] == [
        (phones[0].serial, ["alice"]),
        (phones[0].serial, ["bob"]),
        (phones[0].serial, ["carol"]),
        (phones[1].serial, ["alice"]),
        (phones[1].serial, ["bob"]),
        (phones[1].serial, ["carol"]),
    ]
    assert tasks[0].script_config["target_user"] == "alice"


def test_legacy_target_username_is_accepted_for_follow(as_operator, phone):
    ok(
        create(
            as_operator,
            serials=[phone.serial],
            script_name="follow",
            script_config={"target_username": "@tikmatrix"},
        )
    )
    assert Task.objects.get().script_config["target_users"] == ["tikmatrix"]


def test_comment_makes_one_task_per_post_url(as_operator, phone):
    urls = "https://www.tiktok.com/@a/video/123\nhttps://www.instagram.com/p/AbC_1/"
    data = ok(
        create(
            as_operator,
            serials=[phone.serial],
            script_name="comment",
            script_config={"target_post_url": urls, "comment_content": "nice"},
        )
    )
    assert data["created_count"] == 2
    assert sorted(t.script_config["target_post_url"] for t in Task.objects.all()) == sorted(
        urls.split("\n")
    )


def test_aliases_are_stored_under_their_real_names_and_unknown_keys_dropped(as_operator, phone):
    dropped = ok(
        create(
            as_operator,
            serials=[phone.serial],
            script_name="post",
            script_config={"post_way": "add_button", "ai_label": True},
        )
    )
    ok(
        create(
            as_operator,
            serials=[phone.serial],
            script_name="account_warmup",
            script_config={"follow_probable": 20},
        )
    )

    post, warmup = Task.objects.order_by("pk")
    assert post.script_config["post_way"] == "addButton"
    # A TikMatrix key we do not run: not stored, and named (test_config_size.py has more).
    assert "ai_label" not in post.script_config and dropped["ignored_keys"] == ["ai_label"]
    assert warmup.script_config["floow_probable"] == 20
    assert "follow_probable" not in warmup.script_config


def test_multi_account_mode_makes_one_task_per_enabled_account_on_each_phone(as_operator, phone):
    make_account(phone, username="zed")
    make_account(phone, username="amy")
    make_account(phone, username="off", status=Account.Status.DISABLED)

    data = ok(
        create(
            as_operator,
            serials=[phone.serial],
            script_name="post",
            script_config={},
            enable_multi_account=True,
        )
    )

    assert data["created_count"] == 2
    assert sorted(Task.objects.values_list("username", flat=True)) == ["amy", "zed"]
    assert all(t.account.username == t.username for t in Task.objects.all())


def test_account_mode_runs_on_each_accounts_own_phone(as_operator):
    phones = [make_device(), make_device()]
    make_account(phones[0], username="first")
    make_account(phones[1], username="second", platform=Platform.INSTAGRAM)

    data = ok(
        create(
            as_operator,
            usernames=["@first", "second"],
            script_name="follow",
            script_config={"target_users": ["x"]},
        )
    )

    assert data["created_count"] == 2
    assert {(t.username, t.serial) for t in Task.objects.all()} == {
        ("first", phones[0].serial),
        ("second", phones[1].serial),
    }


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


@pytest.mark.parametrize("hours_ahead", [2, -2])
def test_start_time_is_a_clock_time_in_the_server_zone_and_past_means_tomorrow(
    as_operator, phone, settings, hours_ahead
):
    settings.TIME_ZONE = "America/Sao_Paulo"
    now = _local(timezone.now(), settings.TIME_ZONE)
    clock = (now + timedelta(hours=hours_ahead)).strftime("%H:%M")

    ok(
        create(
            as_operator,
            serials=[phone.serial],
            script_name="post",
            script_config={},
            start_time=clock,
        )
    )

    task = Task.objects.get()
    due = _local(task.scheduled_at, settings.TIME_ZONE)
    assert due.strftime("%H:%M") == clock
    assert timezone.now() < task.scheduled_at <= timezone.now() + timedelta(hours=24)
    assert task.wait_reason == Task.WaitReason.SCHEDULED


def test_start_time_accepts_iso_8601(as_operator, phone):
    ok(
        create(
            as_operator,
            serials=[phone.serial],
            script_name="post",
            script_config={},
            start_time="2030-05-01T10:30:00+02:00",
        )
    )
    assert Task.objects.get().scheduled_at == datetime(2030, 5, 1, 8, 30, tzinfo=ZoneInfo("UTC"))


def test_intervals_space_the_tasks_of_each_phone(as_operator):
    phones = [make_device(), make_device()]
    ok(
        create(
            as_operator,
            serials=[p.serial for p in phones],
            script_name="follow",
            script_config={"target_users": ["a", "b", "c"]},
            min_interval=10,
            max_interval=10,
        )
    )

    for phone in phones:
        due = list(
            Task.objects.filter(device=phone)
            .order_by("batch_position")
            .values_list("scheduled_at", flat=True)
        )
        assert [b - a for a, b in zip(due, due[1:], strict=False)] == [timedelta(minutes=10)] * 2
    firsts = {
        Task.objects.filter(device=p).order_by("batch_position")[0].scheduled_at for p in phones
    }
    assert len(firsts) == 1  # both phones start together


def test_creating_writes_one_audit_entry_naming_who(as_operator, phone):
    data = ok(
        create(
            as_operator,
            serials=[phone.serial],
            script_name="follow",
            script_config={"target_users": ["a", "b"]},
        )
    )
    entry = AuditEntry.objects.get(action="task.create")
    assert entry.actor == "oscar" and entry.ip == "127.0.0.1"
    assert entry.detail["created_count"] == 2 and entry.detail["first_id"] == data["task_ids"][0]


def test_compatibility_mode_creates_as_the_localhost_api(local_api, phone):
    ok(create(local_api, serials=[phone.serial], script_name="post", script_config={}))
    assert Task.objects.get().created_by is None
    assert AuditEntry.objects.get(action="task.create").actor == "localhost API"


# --- materials in post --------------------------------------------------------------------------


def test_material_list_paths_inside_the_roots_are_stored_resolved(as_operator, phone, settings):
    root = settings.MATERIAL_ROOTS[0]
    (root / "clips").mkdir()
    (root / "clips" / "a.mp4").write_bytes(b"\0\0\0\x18ftypmp42")
    os.symlink(root / "clips" / "a.mp4", root / "link.mp4")

    ok(
        create(
            as_operator,
            serials=[phone.serial],
            script_name="post",
            script_config={"material_list": ["clips/a.mp4", str(root / "link.mp4")]},
        )
    )

    real = os.path.realpath(root / "clips" / "a.mp4")
    assert Task.objects.get().script_config["material_list"] == [real, real]


def test_material_list_accepts_library_references(as_operator, phone):
    from tasks.models import Material

    material = Material.objects.create(file="uploads/x.mp4", kind=Material.Kind.VIDEO)
    ok(
        create(
            as_operator,
            serials=[phone.serial],
            script_name="post",
            script_config={"material_list": [f"material:{material.pk}"]},
        )
    )
    assert Task.objects.get().script_config["material_list"] == [f"material:{material.pk}"]


# --- idempotency --------------------------------------------------------------------------------


def test_a_retried_request_with_the_same_idempotency_key_creates_nothing_new(as_operator, phone):
    body = {
        "serials": [phone.serial],
        "script_name": "follow",
        "script_config": {"target_users": ["a", "b"]},
    }
    first = ok(as_operator.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1"))
    again = ok(as_operator.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1"))

    assert again == first
    assert Task.objects.count() == 2
    assert IdempotencyKey.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(as_operator, phone):
    body = {"serials": [phone.serial], "script_name": "post", "script_config": {}}
    ok(as_operator.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2"))
    body["script_config"] = {"captions": "other"}
    problems = errors(as_operator.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-2"))
    assert "Idempotency-Key" in problems
    assert Task.objects.count() == 1


def test_keys_are_per_caller_and_expire_after_a_day(api_as, operator, owner, phone):
    body = {"serials": [phone.serial], "script_name": "post", "script_config": {}}
    ok(api_as(operator).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="same"))
    ok(api_as(owner).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="same"))
    assert Task.objects.count() == 2

    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    ok(api_as(operator).post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="same"))
    assert Task.objects.count() == 3


# --- size ---------------------------------------------------------------------------------------


def test_four_thousand_tasks_take_one_request_and_a_few_queries(as_operator):
    # How long it takes is measured in bench/ (fan-out), not asserted here.
    phones = [make_device() for _ in range(40)]
    body = {
        "serials": [p.serial for p in phones],
        "script_name": "follow",
        "script_config": {"target_users": [f"user{n}" for n in range(100)]},
    }

    with CaptureQueriesContext(connection) as queries:
        data = ok(as_operator.post(URL, body, format="json"))

    assert data["created_count"] == 4000 == Task.objects.count()
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "tasks_task"')]
    # Django caps an SQLite statement at 999 parameters: as many task rows per INSERT as fit
    # (29 with the task's 34 columns; PostgreSQL: 2000).
    rows_per_insert = 4000 / len(inserts)
    assert rows_per_insert >= 999 // len(Task._meta.concrete_fields) - 1
    assert len(queries) - len(inserts) < 20, [q["sql"][:60] for q in queries if q not in inserts]
