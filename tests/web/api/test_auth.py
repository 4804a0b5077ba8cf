"""Who may call the API: tokens, sessions, the localhost mode, roles, the licence gate."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.models import ApiToken, AuditEntry
from tasks.models import Task
from tests.apihelp import LOCAL_HOST, fails, install_plan, local_client, ok
from tests.tasks.factories import make_device, make_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_cache")]

URL = "/api/v1/task"


@pytest.fixture
def phone():
    return make_device(serial="emulator-5554")


def create_body(phone) -> dict:
    return {"serials": [phone.serial], "script_name": "post", "script_config": {}}


# --- authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Token tmx_not-a-real-key", "Token", "Token a b", "Bearer x"])
def test_missing_bad_or_malformed_tokens_are_40101(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    fails(client.get(URL), 40101)
    fails(APIClient().get(URL), 40101)


def test_a_revoked_token_stops_working(operator):
    token, key = ApiToken.issue(operator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    ok(client.get(URL))
    token.revoke()
    fails(client.get(URL), 40101)


def test_a_signed_in_browser_session_works_and_writes_need_csrf(operator, phone):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(operator)
    ok(client.get(URL))
    fails(client.post(URL, create_body(phone), format="json"), 40302)
    assert not Task.objects.exists()


# --- roles --------------------------------------------------------------------------------------


def test_a_viewer_reads_but_changes_nothing(as_viewer, phone):
    task = make_task(phone, status=Task.Status.FAILED)
    ok(as_viewer.get(URL))
    ok(as_viewer.get(f"{URL}/{task.pk}"))
    ok(as_viewer.get(f"{URL}/stats"))
    ok(as_viewer.get("/api/v1/license/check"))
    for response in [
        as_viewer.post(URL, create_body(phone), format="json"),
        as_viewer.post(f"{URL}/{task.pk}/retry"),
        as_viewer.post(f"{URL}/{task.pk}/stop"),
        as_viewer.post(f"{URL}/retry-all"),
        as_viewer.delete(f"{URL}/{task.pk}"),
        as_viewer.delete(f"{URL}/batch", {"task_ids": [task.pk]}, format="json"),
    ]:
        assert "viewer" not in fails(response, 40302)["message"]
    assert Task.objects.get(pk=task.pk).status == Task.Status.FAILED


@pytest.mark.parametrize("persona", ["operator", "owner"])
def test_operators_and_owners_create_stop_retry_and_delete(api_as, request, phone, persona):
    client = api_as(request.getfixturevalue(persona))
    task_id = ok(client.post(URL, create_body(phone), format="json"))["task_ids"][0]
    ok(client.post(f"{URL}/{task_id}/stop"))
    ok(client.post(f"{URL}/{task_id}/retry"))
    ok(client.delete(f"{URL}/{task_id}"))


def test_a_signed_in_user_without_a_role_may_not_even_read(api_as, outsider):
    fails(api_as(outsider).get(URL), 40302)


# --- compatibility mode -------------------------------------------------------------------------


def test_localhost_needs_a_token_unless_the_compatibility_mode_is_on(settings, phone):
    client = local_client()
    fails(client.get(URL), 40101)

    settings.API_OPEN_ON_LOCALHOST = True
    ok(client.get(URL))
    ok(client.post(URL, create_body(phone), format="json"))
    assert AuditEntry.objects.get().actor == "localhost API"


@pytest.mark.parametrize("address", ["::1", "127.0.0.5", "::ffff:127.0.0.1"])
def test_every_loopback_address_counts_as_local(settings, address):
    settings.API_OPEN_ON_LOCALHOST = True
    ok(local_client(address).get(URL))


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.20", "2001:db8::1", ""])
def test_other_machines_still_need_a_token_in_compatibility_mode(settings, db, address):
    settings.API_OPEN_ON_LOCALHOST = True
    fails(local_client(address).get(URL), 40101)


def test_localhost_acts_as_an_operator_and_stops_as_the_localhost_api(local_api, phone):
    task = make_task(phone)
    assert ok(local_api.post(f"{URL}/{task.pk}/stop"))["remark"] == "stopped by localhost API"


def test_a_token_still_wins_in_compatibility_mode(local_api, viewer):
    _, key = ApiToken.issue(viewer)
    local_api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    fails(local_api.post(f"{URL}/retry-all"), 40302)


# Any web page open on the farm PC can send requests to 127.0.0.1; only programs may skip the
# token. Each case below is something a page on another site can make a browser send.
CROSS_SITE = {
    "another site's Origin": {"HTTP_ORIGIN": "http://evil.example"},
    "another port's Origin": {"HTTP_ORIGIN": "http://127.0.0.1:8000"},
    "a sandboxed page's Origin": {"HTTP_ORIGIN": "null"},
    "another site's Referer": {"HTTP_REFERER": "http://evil.example/page.html"},
    "a DNS-rebinding page's Host": {"HTTP_HOST": "evil.example:50809"},
}


@pytest.mark.parametrize("headers", CROSS_SITE.values(), ids=CROSS_SITE.keys())
def test_a_tokenless_call_from_a_web_page_is_refused(settings, phone, headers):
    settings.API_OPEN_ON_LOCALHOST = True
    settings.ALLOWED_HOSTS = ["*"]  # BIND=0.0.0.0: any Host reaches the view
    task = make_task(phone)
    body = fails(local_client(**headers).post(f"{URL}/{task.pk}/stop"), 40101)
    assert "token" in body["message"]
    task.refresh_from_db()
    assert task.status == Task.Status.PENDING and not AuditEntry.objects.exists()


@pytest.mark.parametrize("format", ["multipart", "form"])
def test_a_tokenless_call_must_send_json(local_api, phone, format):
    task = make_task(phone, status=Task.Status.FAILED)
    if format == "form":
        response = local_api.post(f"{URL}/retry-all", "x=1", content_type="text/plain")
    else:
        response = local_api.post(f"{URL}/retry-all", {"x": "1"}, format="multipart")
    assert "JSON" in fails(response, 40101)["message"]
    task.refresh_from_db()
    assert task.status == Task.Status.FAILED


def test_a_tokenless_upload_is_refused_but_a_token_uploads(local_api, api_as, operator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tasks.models import Material

    def upload(client):
        video = SimpleUploadedFile("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
        return client.post("/api/v1/materials", {"file": video}, format="multipart")

    assert "uploads need a token" in fails(upload(local_api), 40101)["message"]
    assert not Material.objects.exists()
    ok(upload(api_as(operator)))


def test_a_tokenless_json_call_from_the_same_origin_still_works(local_api, phone):
    same_site = local_client(HTTP_ORIGIN=f"http://{LOCAL_HOST}")
    ok(same_site.post(URL, create_body(phone), format="json"))
    ok(local_client(HTTP_HOST="localhost:50809").get(URL))


# --- licence gate -------------------------------------------------------------------------------


def test_a_fresh_install_runs_the_pro_trial_with_api_access(as_viewer):
    data = ok(as_viewer.get("/api/v1/license/check"))
    assert data["plan_name"] == "Pro" and data["api_enabled"] is True
    assert data["device_limit"] == 20 and data["expires_at"]
    assert set(data) == {"plan_name", "api_enabled", "device_limit", "expires_at", "message"}


@pytest.mark.parametrize("plan", ["free_plan", "starter_plan"])
def test_plans_without_api_get_40301_everywhere_but_license_check(request, as_owner, plan):
    request.getfixturevalue(plan)
    for path in [URL, f"{URL}/stats", "/api/v1/devices", "/api/v1/accounts", "/api/v1/materials"]:
        fails(as_owner.get(path), 40301)
    fails(as_owner.post(URL, {}, format="json"), 40301)

    body = fails(as_owner.get("/api/v1/license/check"), 40301)
    assert body["data"]["api_enabled"] is False
    assert body["data"]["plan_name"] == ("Free" if plan == "free_plan" else "Starter")


@pytest.mark.parametrize("plan", ["team", "business"])
def test_team_and_business_keys_open_the_api(settings, as_viewer, plan):
    install_plan(settings, plan, devices=50)
    assert ok(as_viewer.get("/api/v1/license/check"))["plan_name"] == plan.title()
    ok(as_viewer.get(URL))


def test_unauthenticated_callers_learn_nothing_about_the_plan(free_plan):
    fails(APIClient().get("/api/v1/license/check"), 40101)


# --- rate limit ---------------------------------------------------------------------------------


def test_each_caller_has_its_own_rate_budget(api_as, viewer, operator, settings):
    settings.API_THROTTLE_RATE = "1/min"
    ok(api_as(viewer).get(URL))
    fails(api_as(viewer).get(URL), 42901)
    ok(api_as(operator).get(URL))
