"""Every failure is an envelope with its code, no stack trace, and creates nothing."""

from __future__ import annotations

import json
import os

import pytest
from rest_framework.test import APIClient

from devices.models import Account
from tasks.models import Task
from tests.apihelp import errors, fails, ok
from tests.tasks.factories import make_account, make_device, make_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_cache")]

URL = "/api/v1/task"


@pytest.fixture
def phone():
    return make_device(serial="emulator-5554")


def post(client, body):
    return client.post(URL, body, format="json")


def raw_post(client, content: bytes | str, content_type="application/json"):
    return client.generic("POST", URL, content, content_type=content_type)


@pytest.fixture(autouse=True)
def nothing_is_created(db):
    yield
    assert not Task.objects.filter(source=Task.Source.API).exists()


# --- one per HTTP status ------------------------------------------------------------------------


def test_400_malformed_json_is_40001_under_body(as_operator):
    problems = errors(raw_post(as_operator, b'{"serials": ['))
    assert list(problems) == ["body"] and "malformed JSON" in problems["body"][0]


def test_401_without_credentials(db):
    response = APIClient().get(URL)
    fails(response, 40101)
    assert response["WWW-Authenticate"] == "Token"


def test_403_role_too_low(as_viewer, phone):
    fails(
        post(as_viewer, {"serials": [phone.serial], "script_name": "post", "script_config": {}}),
        40302,
    )


def test_404_unknown_task_and_unknown_routes(as_viewer):
    fails(as_viewer.get(f"{URL}/999999"), 40401)
    fails(as_viewer.get("/api/v1/nothing-here"), 40401)
    fails(as_viewer.post("/api/v2/task", {}, format="json"), 40401)
    fails(as_viewer.get("/api/"), 40401)


def test_404_non_integer_and_overflowing_ids_are_unknown_routes(as_operator):
    fails(as_operator.get(f"{URL}/abc"), 40401)
    fails(as_operator.post(f"{URL}/1.5/stop"), 40401)
    fails(as_operator.delete(f"{URL}/{'9' * 30}"), 40401)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v2/task", f"{URL}/1.5/stop"])
def test_unknown_routes_answer_the_envelope_to_writes_too(client_as, operator, method, path):
    """Browsers and fuzzers send writes without a CSRF token: still 40401, not Django's page."""
    anonymous = APIClient(enforce_csrf_checks=True)
    fails(getattr(anonymous, method)(path, {}, format="json"), 40401)
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(operator)
    fails(getattr(session, method)(path, {}, format="json"), 40401)


def test_a_session_write_without_its_csrf_token_is_still_refused(operator, phone):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(operator)
    body = {"serials": [phone.serial], "script_name": "post", "script_config": {}}
    assert "CSRF" in fails(session.post(URL, body, format="json"), 40302)["message"]
    assert not Task.objects.exists()


def test_405_method_not_allowed(as_operator):
    fails(as_operator.put(URL, {}, format="json"), 40501)
    fails(as_operator.get(f"{URL}/batch"), 40501)
    fails(as_operator.patch(f"{URL}/1", {}, format="json"), 40501)


def test_429_rate_limited_with_retry_after(as_viewer, settings):
    settings.API_THROTTLE_RATE = "2/min"
    ok(as_viewer.get(URL))
    ok(as_viewer.get(URL))
    response = as_viewer.get(URL)
    fails(response, 42901)
    assert int(response["Retry-After"]) > 0


def test_500_is_an_envelope_without_a_stack_trace(as_viewer, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("web.api.tasks.TaskViewSet.list", explode)
    response = as_viewer.get(URL)
    body = fails(response, 50001)
    assert "secret internals" not in response.content.decode()
    assert body["data"] is None


def test_django_level_errors_under_api_are_envelopes_too(rf):
    from core.api import envelope

    assert json.loads(envelope.server_error(rf.get("/api/v1/task")).content)["code"] == 50001
    assert json.loads(envelope.not_found(rf.get("/api/v1/x"), None).content)["code"] == 40401
    assert json.loads(envelope.bad_request(rf.get("/api/v1/x"), None).content)["code"] == 40001


def test_non_api_paths_keep_html_error_pages(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- the bad-input list of the API issue --------------------------------------------------------


def test_missing_script_name_is_40002(as_operator, phone):
    fails(post(as_operator, {"serials": [phone.serial], "script_config": {}}), 40002)
    fails(post(as_operator, {"serials": [phone.serial], "script_name": " "}), 40002)
    fails(raw_post(as_operator, b""), 40002)


@pytest.mark.parametrize("name", ["like", "login", "scrape_user", "diagnostic", "nope"])
def test_unknown_or_unsupported_scripts_are_40003(as_operator, phone, name):
    body = fails(
        post(as_operator, {"serials": [phone.serial], "script_name": name, "script_config": {}}),
        40003,
    )
    assert name in body["message"]


@pytest.mark.parametrize(
    "targets",
    [
        {},
        {"serials": ["emulator-5554"], "usernames": ["someone"]},
        {"serials": []},
        {"usernames": []},
        {"serials": "emulator-5554"},
        {"serials": [["nested"]]},
        {"usernames": None},
    ],
)
def test_serials_and_usernames_one_of_them_as_a_non_empty_list(as_operator, phone, targets):
    problems = errors(post(as_operator, {**targets, "script_name": "post", "script_config": {}}))
    assert any(key.startswith(("serials", "usernames")) for key in problems), problems


def test_unknown_serials_are_named(as_operator, phone):
    problems = errors(
        post(
            as_operator,
            {
                "serials": [phone.serial, "ghost-1", "ghost-2"],
                "script_name": "post",
                "script_config": {},
            },
        )
    )
    assert problems["serials"] == ["unknown serial: ghost-1, ghost-2"]


def test_unknown_disabled_and_phoneless_accounts_are_named_each(as_operator, phone):
    make_account(phone, username="fine")
    make_account(phone, username="resting", status=Account.Status.DISABLED)
    make_account(None, username="homeless")

    problems = errors(
        post(
            as_operator,
            {
                "usernames": ["fine", "@ghost", "resting", "homeless"],
                "script_name": "follow",
                "script_config": {"target_users": ["x"]},
            },
        )
    )

    text = " ".join(problems["usernames"])
    assert "unknown account: @ghost" in text
    assert "disabled account: @resting" in text
    assert "account not on any phone: @homeless" in text
    assert "fine" not in text


def test_multi_account_on_a_phone_without_accounts_is_refused(as_operator, phone):
    problems = errors(
        post(
            as_operator,
            {
                "serials": [phone.serial],
                "script_name": "post",
                "script_config": {},
                "enable_multi_account": True,
            },
        )
    )
    assert phone.serial in problems["serials"][0]


@pytest.mark.parametrize("start_time", ["25:00", "7pm", "tomorrow", 1230, "2025-13-01T00:00"])
def test_bad_start_time(as_operator, phone, start_time):
    problems = errors(
        post(
            as_operator,
            {
                "serials": [phone.serial],
                "script_name": "post",
                "script_config": {},
                "start_time": start_time,
            },
        )
    )
    assert "start_time" in problems


@pytest.mark.parametrize(
    ("intervals", "field"),
    [
        ({"min_interval": -1}, "min_interval"),
        ({"min_interval": 5, "max_interval": 2}, "min_interval"),
        ({"max_interval": "5"}, "max_interval"),
    ],
)
def test_bad_intervals(as_operator, phone, intervals, field):
    problems = errors(
        post(
            as_operator,
            {"serials": [phone.serial], "script_name": "post", "script_config": {}, **intervals},
        )
    )
    assert field in problems


@pytest.mark.parametrize(
    ("script", "config", "field"),
    [
        ("post", {"upload_wait_time": "30"}, "script_config.upload_wait_time"),
        ("post", {"content_type": 2}, "script_config.content_type"),
        ("post", {"post_way": "teleport"}, "script_config.post_way"),
        ("post", {"origin_sound_volume": 101}, "script_config.origin_sound_volume"),
        ("post", {"material_list": "a.mp4"}, "script_config.material_list"),
        ("account_warmup", {"insert_emoji": "yes"}, "script_config.insert_emoji"),
        ("account_warmup", {"like_probable": True}, "script_config.like_probable"),
        ("account_warmup", {"min_duration": 40, "max_duration": 30}, "script_config.min_duration"),
        ("follow", {"target_users": "alice"}, "script_config.target_users"),
        ("follow", {}, "script_config.target_users"),
        (
            "follow",
            {"access_method": "teleport", "target_user": "a"},
            "script_config.access_method",
        ),
        (
            "comment",
            {"target_post_urls": ["https://example.com/x"], "comment_content": "hi"},
            "script_config.target_post_urls",
        ),
        (
            "comment",
            {"target_post_url": "https://vm.tiktok.com/ZM1/"},
            "script_config.comment_content",
        ),
    ],
)
def test_wrong_types_and_values_in_script_config_name_the_key(
    as_operator, phone, script, config, field
):
    problems = errors(
        post(
            as_operator, {"serials": [phone.serial], "script_name": script, "script_config": config}
        )
    )
    assert field in problems, problems


@pytest.mark.parametrize("config", [None, [], "text", 5])
def test_script_config_must_be_an_object(as_operator, phone, config):
    problems = errors(
        post(
            as_operator, {"serials": [phone.serial], "script_name": "post", "script_config": config}
        )
    )
    assert "script_config" in problems


def test_material_paths_outside_the_roots_or_missing_are_refused(
    as_operator, phone, settings, tmp_path
):
    root = settings.MATERIAL_ROOTS[0]
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"x")
    os.symlink(outside, root / "sneaky.mp4")

    for entry in [
        "/etc/passwd",
        "../outside.mp4",
        str(root / "sneaky.mp4"),
        "missing.mp4",
        "material:424242",
        "bad\0byte.mp4",
    ]:
        problems = errors(
            post(
                as_operator,
                {
                    "serials": [phone.serial],
                    "script_name": "post",
                    "script_config": {"material_list": [entry]},
                },
            )
        )
        assert "script_config.material_list" in problems, entry
    problems = errors(
        post(
            as_operator,
            {
                "serials": [phone.serial],
                "script_name": "post",
                "script_config": {"material_source": "localFolder", "material_path": "/tmp"},
            },
        )
    )
    assert "script_config.material_path" in problems


def test_a_json_body_that_is_not_an_object(as_operator):
    assert "body" in errors(raw_post(as_operator, b"[1, 2]"))
    assert "body" in errors(raw_post(as_operator, b"NaN"))


def test_huge_bodies_are_refused_before_being_read(as_operator, phone, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = {
        "serials": [phone.serial],
        "script_name": "post",
        "script_config": {"captions": "x" * 2000},
    }
    problems = errors(post(as_operator, body))
    assert "too large" in problems["body"][0]


def test_form_encoded_bodies_are_refused(as_operator, phone):
    response = as_operator.post(URL, {"serials": phone.serial, "script_name": "post"})
    assert "body" in errors(response)


def test_batch_delete_needs_a_non_empty_list_of_integers(as_operator):
    task = make_task(make_device(), source=Task.Source.UI)
    for body in [
        {},
        {"task_ids": []},
        {"task_ids": ["1"]},
        {"task_ids": [1.5]},
        {"task_ids": [True]},
        {"task_ids": 1},
        [1],
    ]:
        response = as_operator.delete(f"{URL}/batch", body, format="json")
        assert errors(response), body
    assert Task.objects.filter(pk=task.pk).exists()


def test_list_filters_and_pages_with_bad_values(as_viewer):
    for query in ["status=9", "status=x", "source=robot", "page=0", "page=x", "page_size=-1"]:
        assert errors(as_viewer.get(f"{URL}?{query}")), query


def test_a_request_fanning_out_beyond_the_limit_is_refused(as_operator, phone, monkeypatch):
    monkeypatch.setattr("tasks.creation.MAX_TASKS_PER_REQUEST", 3)
    body = {"serials": [phone.serial], "script_name": "follow",
            "script_config": {"target_users": ["a", "b", "c", "d"]}}  # fmt: skip
    assert "split it" in errors(post(as_operator, body))["body"][0]


def test_a_script_name_that_is_not_a_string_is_unknown(as_operator, phone):
    fails(post(as_operator, {"serials": [phone.serial], "script_name": 5, "script_config": {}}),
          40003)  # fmt: skip
