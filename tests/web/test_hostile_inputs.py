"""Inputs that once crashed the server (issue 16 item 8): each now gets a 40001/40401 envelope
or a page that says what is wrong, never a 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tasks.models import Material, Task
from tests.apihelp import errors, fails, ok
from tests.tasks.factories import make_account, make_device, make_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_cache")]

TOO_BIG = str(10**20)  # beyond any 64-bit integer column


@pytest.fixture
def phone():
    return make_device(serial="emulator-5554")


@pytest.fixture
def api(api_as, operator):
    client = api_as(operator)
    client.raise_request_exception = False
    return client


@pytest.fixture
def page(operator):
    client = Client(raise_request_exception=False)
    client.force_login(operator)
    return client


def clip(name: str = "clip.mp4") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)


# --- the API ------------------------------------------------------------------------------------


def test_an_upload_without_a_body_names_the_missing_file(api):
    assert "file" in errors(api.post("/api/v1/materials"))


def test_an_upload_as_json_is_refused_as_the_wrong_media_type(api):
    assert "body" in errors(api.post("/api/v1/materials", {"file": "x"}, format="json"))


@pytest.mark.parametrize("opening,closing", [("[", "]"), ('{"a":', "}")])
def test_json_nested_too_deep_is_refused(api, phone, opening, closing):
    body = opening * 100_000 + "1" * (opening == '{"a":') + closing * 100_000
    problems = errors(api.generic("POST", "/api/v1/task", body, content_type="application/json"))
    assert "nested" in problems["body"][0]


def test_json_nested_a_little_is_fine(api, phone):
    config = {"chatgpt_settings": {"a": {"b": {"c": [[1, 2], {"d": None}]}}}}
    body = {"serials": [phone.serial], "script_name": "account_warmup", "script_config": config}
    ok(api.post("/api/v1/task", body, format="json"))


@pytest.mark.parametrize(
    "start_time", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "9000-01-01T00:00"]
)
def test_a_start_time_out_of_range_is_refused(api, phone, start_time):
    body = {"serials": [phone.serial], "script_name": "follow", "start_time": start_time,
            "script_config": {"target_users": ["amy"]}}  # fmt: skip
    assert "start_time" in errors(api.post("/api/v1/task", body, format="json"))
    assert not Task.objects.exists()


def test_a_batch_delete_with_an_id_beyond_64_bits_is_refused(api):
    body = {"task_ids": [9223372036854775808]}
    assert "task_ids.0" in errors(api.delete("/api/v1/task/batch", body, format="json"))


def test_the_largest_possible_id_is_just_not_found(api):
    body = {"task_ids": [9223372036854775807]}
    data = ok(api.delete("/api/v1/task/batch", body, format="json"))
    assert data == {"deleted_count": 0, "not_found": [9223372036854775807]}


@pytest.mark.parametrize("sort", [TOO_BIG, "-" + TOO_BIG, "1e20"])
def test_a_material_sort_out_of_range_is_refused_by_the_api(api, sort):
    assert "sort" in errors(api.post("/api/v1/materials", {"file": clip(), "sort": sort}))
    assert not Material.objects.exists()


def test_a_task_list_filtered_to_the_last_day_there_is(api, phone):
    make_task(phone)
    assert "date_to" in errors(api.get("/api/v1/task?date_to=9999-12-31"))
    assert ok(api.get("/api/v1/task?date_to=2999-12-31"))["total"] == 1


# --- the pages ----------------------------------------------------------------------------------


def test_a_material_sort_out_of_range_is_a_form_error(page):
    response = page.post("/materials/upload/", {"file": clip(), "sort": TOO_BIG})
    assert response.status_code == 422 and "sort" in response.context["upload_form"].errors


def test_editing_a_material_with_a_sort_out_of_range_is_a_form_error(page):
    material = Material.objects.create(file="clip.mp4", kind="video", size=12)
    response = page.post(f"/materials/{material.pk}/", {"sort": TOO_BIG})
    assert response.status_code == 422 and "sort" in response.context["form"].errors


def test_a_bulk_action_on_an_id_beyond_64_bits_explains(page, phone):
    task = make_task(phone)
    response = page.post("/tasks/bulk/", {"action": "stop", "ids": [TOO_BIG, task.pk]})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == Task.Status.PENDING  # nothing done on a request that made no sense


@pytest.mark.parametrize("query", ["date_to=9999-12-31", "date_from=0001-01-01"])
def test_a_task_list_filtered_to_the_edge_of_the_calendar_shows_the_filter_error(
    client_as, viewer, query
):
    response = client_as(viewer).get(f"/tasks/?{query}")
    assert response.status_code == 200
    assert response.context["filterset"].form.errors


def test_toggling_an_account_with_a_script_as_next_goes_back_to_the_list(page, phone):
    account = make_account(phone)
    response = page.post(f"/accounts/{account.pk}/toggle/", {"next": "javascript:alert(1)"})
    assert response.status_code == 302 and response["Location"] == "/accounts/"


def test_the_admin_lists_and_opens_materials(client_as, owner):
    material = Material.objects.create(file="clip.mp4", kind="video", size=12)
    admin = client_as(owner)
    assert admin.get("/admin/tasks/material/").status_code == 200
    response = admin.get(f"/admin/tasks/material/{material.pk}/change/")
    assert (
        response.status_code == 200
        and f"/materials/{material.pk}/file" in response.content.decode()
    )


def test_a_comment_image_path_that_is_not_a_string_is_refused(api, phone):
    body = {"serials": [phone.serial], "script_name": "comment",
            "script_config": {"target_post_url": "https://vm.tiktok.com/A1/",
                              "comment_content": "hi", "comment_image_path": 5}}  # fmt: skip
    assert errors(api.post("/api/v1/task", body, format="json")) == {
        "script_config.comment_image_path": ["must be a string"]
    }


def test_an_unknown_route_is_still_a_40401(api):
    fails(api.post("/api/v1/nothing-here", {}, format="json"), 40401)
