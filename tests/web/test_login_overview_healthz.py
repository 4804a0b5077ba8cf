"""The ground floor: sign in, sign out, the overview, and /healthz."""

import pytest

from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_the_login_page_renders(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


@pytest.mark.django_db
def test_an_owner_can_sign_in_and_see_the_overview(client, owner):
    response = client.post("/login/", {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert b"Overview" in page.content and b"Pro" in page.content  # the trial plan


@pytest.mark.django_db
def test_a_wrong_password_is_refused(client, owner):
    response = client.post("/login/", {"username": owner.username, "password": "nope"})
    assert response.status_code == 200
    assert b"didn" in response.content
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_pages_need_a_signed_in_user(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_healthz_tells_anyone_only_whether_the_farm_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_details_and_host_name_are_for_the_team(client_as, viewer, settings):
    body = client_as(viewer).get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert set(body) >= {"broker", "adb_server"} and body["farm_host"] == settings.FARM_HOST


@pytest.mark.django_db
def test_the_first_owner_command_creates_one_owner_once(capsys):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("create_first_owner")
    out = capsys.readouterr().out
    assert "password:" in out
    call_command("create_first_owner")
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
