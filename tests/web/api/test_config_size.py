"""What a task config may cost: unknown keys are dropped (and named), a config has a size cap,
and a list of tasks stays small whatever the rows hold (issue 16 item 4).

The attack this answers: one 9 MB create request with 20 targets stored 9 MB twenty times (an
unknown key was copied into every fanned-out task), and one page of ``GET /api/v1/task`` was
377 MB."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks.models import Task
from tasks.scripts.registry import MAX_CONFIG_BYTES
from tests.apihelp import errors, ok
from tests.tasks.factories import make_device, make_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_cache")]

URL = "/api/v1/task"
MEGABYTE = "x" * 1024 * 1024


@pytest.fixture
def phones():
    return [make_device() for _ in range(20)]


def create(client, phones, script_config, script_name="post"):
    body = {"serials": [p.serial for p in phones], "script_name": script_name,
            "script_config": script_config}  # fmt: skip
    return client.post(URL, body, format="json")


def stored_bytes() -> int:
    return sum(
        len(json.dumps(config)) for config in Task.objects.values_list("script_config", flat=True)
    )


def test_unknown_keys_are_dropped_and_named_in_the_answer(as_operator, phones):
    config = {"captions": "hi", "ai_label": True, "padding": MEGABYTE}
    data = ok(create(as_operator, phones, config))

    assert data["created_count"] == 20 and data["ignored_keys"] == ["ai_label", "padding"]
    # Twenty tasks, none of them carrying the megabyte: the request no longer amplifies.
    assert stored_bytes() < 20 * 2048
    assert all("padding" not in c for c in Task.objects.values_list("script_config", flat=True))


def test_an_answer_without_unknown_keys_says_so(as_operator, phones):
    assert ok(create(as_operator, phones[:1], {"captions": "hi"}))["ignored_keys"] == []


def test_aliases_are_not_unknown_keys(as_operator, phones):
    data = ok(create(as_operator, phones[:1], {"follow_probable": 20}, "account_warmup"))
    assert data["ignored_keys"] == []
    assert Task.objects.get().script_config["floow_probable"] == 20


@pytest.mark.parametrize(
    "config",
    [
        {"captions": "y" * (MAX_CONFIG_BYTES + 1)},
        {"material_source": "materialLibrary", "materials_tags": "t," * MAX_CONFIG_BYTES},
    ],
    ids=["a long caption", "a long tag list"],
)
def test_a_config_over_the_cap_is_refused_with_the_limit_named(as_operator, phones, config):
    problems = errors(create(as_operator, phones, config))
    assert "script_config" in problems
    assert f"{MAX_CONFIG_BYTES} bytes" in problems["script_config"][0]
    assert not Task.objects.exists()


def test_the_cap_counts_nested_objects_too(as_operator, phones):
    config = {"chatgpt_settings": {"prompt": "z" * (MAX_CONFIG_BYTES + 1)}}
    assert "script_config" in errors(create(as_operator, phones[:1], config, "account_warmup"))


def test_the_cap_is_per_task_so_many_targets_fan_out_fine(as_operator, phones):
    # 3,000 usernames are more than the cap in one config, but each task stores one of them.
    users = [f"user_{n:05d}_with_a_long_name" for n in range(3000)]
    assert len(json.dumps(users)) > MAX_CONFIG_BYTES
    data = ok(create(as_operator, phones[:1], {"target_users": users}, "follow"))
    assert data["created_count"] == 3000


def test_the_dashboard_form_shows_the_cap_as_an_error(client_as, operator, phones):
    response = client_as(operator).post(
        "/tasks/new/",
        {"script": "post", "mode": "devices", "devices": [phones[0].pk],
         "cfg_captions": "y" * (MAX_CONFIG_BYTES + 1)},
    )  # fmt: skip
    assert response.status_code == 422
    assert f"{MAX_CONFIG_BYTES} bytes" in response.content.decode()
    assert not Task.objects.exists()


# --- lists stay small ---------------------------------------------------------------------------


@pytest.fixture
def bulky_tasks(phones):
    """Rows from before the cap: a megabyte each, in and out of the known keys."""
    bulky = {"captions": MEGABYTE, "padding": MEGABYTE, "many": list(range(10_000))}
    return [make_task(phone, script_name="post", script_config=bulky) for phone in phones[:5]]


def test_an_api_list_page_is_small_whatever_the_rows_hold(as_viewer, bulky_tasks):
    response = as_viewer.get(URL)
    tasks = ok(response)["tasks"]

    assert len(tasks) == 5 and len(response.content) < 100 * 1024
    first = tasks[0]
    assert first["script_config_truncated"] is True
    assert first["script_config"]["captions"].startswith("xxx")
    assert json.loads(first["script_args"]) == first["script_config"]


def test_a_small_config_is_listed_whole(as_viewer, phones):
    make_task(phones[0], script_name="follow", script_config={"target_users": ["amy"]})
    first = ok(as_viewer.get(URL))["tasks"][0]
    assert first["script_config"] == {"target_users": ["amy"]}
    assert first["script_config_truncated"] is False


def test_the_task_itself_still_has_its_whole_config(as_viewer, bulky_tasks):
    data = ok(as_viewer.get(f"{URL}/{bulky_tasks[0].pk}"))
    assert data["script_config"]["captions"] == MEGABYTE
    assert data["script_config_truncated"] is False


def test_the_dashboard_lists_do_not_load_configs(client_as, viewer, bulky_tasks):
    client = client_as(viewer)
    for page in ("/tasks/", f"/devices/{bulky_tasks[0].serial}/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        task_reads = [q["sql"] for q in queries if 'FROM "tasks_task"' in q["sql"]]
        assert task_reads and not [sql for sql in task_reads if '"script_config"' in sql], page
