"""Owner pages (team, tokens, farm settings, licences) and the audit log."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from core import farm_settings, licensing
from core.models import ApiToken, AuditEntry, Licence, hash_token
from core.roles import Role, role_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/team/", "/licences/"])
def test_only_owners_manage_team_and_licences(client_as, owner, operator, viewer, url):
    assert client_as(owner).get(url).status_code == 200
    assert client_as(operator).get(url).status_code == 403
    assert client_as(viewer).get(url).status_code == 403


def test_the_navigation_follows_the_role(client_as, owner, operator):
    assert b'href="/team/"' in client_as(owner).get("/").content
    page = client_as(operator).get("/").content
    assert b'href="/team/"' not in page and b'href="/licences/"' not in page
    assert b'href="/tasks/"' in page


def test_an_owner_creates_a_member_and_sees_the_password_once(client_as, owner):
    response = client_as(owner).post(
        "/team/members/new/", {"username": "nina", "email": "", "role": "viewer", "password": ""}
    )
    assert response.status_code == 200
    password = response.context["password"]
    assert password and password.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    nina = get_user_model().objects.get(username="nina")
    assert nina.check_password(password) and role_of(nina) is Role.VIEWER
    assert password not in str(AuditEntry.objects.get(action="user.create").detail)
    assert password.encode() not in client_as(owner).get("/team/").content


def test_a_taken_username_or_weak_password_is_422(client_as, owner, operator):
    client = client_as(owner)
    data = {"username": operator.username, "role": "viewer", "password": ""}
    assert client.post("/team/members/new/", data).status_code == 422
    data = {"username": "newp", "role": "viewer", "password": "123"}
    assert client.post("/team/members/new/", data).status_code == 422


def test_changing_a_role_and_keeping_at_least_one_owner(client_as, owner, operator):
    client = client_as(owner)
    client.post(f"/team/members/{operator.pk}/role/", {"role": "viewer"})
    operator = get_user_model().objects.get(pk=operator.pk)
    assert role_of(operator) is Role.VIEWER
    response = client.post(f"/team/members/{owner.pk}/role/", {"role": "operator"}, follow=True)
    assert b"at least one owner" in response.content
    assert get_user_model().objects.get(pk=owner.pk).is_superuser


def test_deactivating_a_member_but_never_yourself(client_as, owner, viewer):
    client = client_as(owner)
    client.post(f"/team/members/{viewer.pk}/active/")
    assert not get_user_model().objects.get(pk=viewer.pk).is_active
    client.post(f"/team/members/{owner.pk}/active/")
    assert get_user_model().objects.get(pk=owner.pk).is_active
    actions = set(AuditEntry.objects.values_list("action", flat=True)) - {"signin.success"}
    assert actions == {"user.deactivate"}


def test_an_api_token_is_shown_once_then_revoked(client_as, owner, operator):
    client = client_as(owner)
    response = client.post("/team/tokens/new/", {"user": operator.pk, "name": "script"})
    key = response.context["key"]
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(key) and token.user == operator
    assert key.encode() in response.content
    assert key.encode() not in client.get("/team/").content
    client.post(f"/team/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert not token.is_active
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [
        "token.revoke",
        "token.create",
        "signin.success",  # the test client signing in
    ]


def test_operators_cannot_issue_tokens_or_create_users(client_as, operator):
    client = client_as(operator)
    assert client.post("/team/tokens/new/", {"user": operator.pk}).status_code == 403
    data = {"username": "x", "role": "owner", "password": ""}
    assert client.post("/team/members/new/", data).status_code == 403


def test_the_licence_page_shows_the_trial(client_as, owner):
    page = client_as(owner).get("/licences/").content.decode()
    assert "Pro" in page and "14-day Pro trial" in page and "Business" in page


def test_a_bad_licence_key_is_422_with_the_reason(client_as, owner):
    response = client_as(owner).post("/licences/install/", {"key": "hello"})
    assert response.status_code == 422 and b"not a licence key" in response.content


def test_installing_a_signed_key(client_as, owner, settings):
    private, public = licensing.generate_keypair()
    settings.LICENCE_PUBLIC_KEYS = [public]
    key = licensing.issue_key(private, plan="team", devices=50, days=30, licensee="ACME")
    wrapped = key[:40] + "\n" + key[40:]  # pasted from an email
    response = client_as(owner).post("/licences/install/", {"key": wrapped}, follow=True)
    assert b"Licence installed" in response.content
    assert Licence.objects.get(is_trial=False).licensee == "ACME"
    assert licensing.current_entitlement().plan.code == "team"
    assert AuditEntry.objects.get(action="licence.install").detail == {
        "plan": "team",
        "devices": 50,
    }


def test_operators_cannot_install_licences(client_as, operator):
    assert client_as(operator).post("/licences/install/", {"key": "x"}).status_code == 403


def test_the_audit_log_is_filterable(client_as, viewer):
    AuditEntry.objects.create(actor="olivia", action="task.stop", object_type="task")
    AuditEntry.objects.create(actor="oscar", action="account.delete", object_type="account")
    client = client_as(viewer)
    page = client.get("/audit/?actor=oscar").content.decode()
    assert "account.delete" in page and "task.stop" not in page
    page = client.get("/audit/?action=task").content.decode()
    assert "task.stop" in page and "account.delete" not in page


def test_an_owner_turns_keyboard_installs_off_and_on_from_the_team_page(client_as, owner):
    client = client_as(owner)
    page = client.get("/team/").content.decode()
    assert (
        'name="phone_keyboard_install"' in page
        and "checked" in page.split('name="phone_keyboard_install"')[1].split(">")[0]
    )
    assert client.post("/team/settings/", {}).status_code == 302  # unchecked box: off
    assert farm_settings.get("phone_keyboard_install") is False
    client.post("/team/settings/", {"phone_keyboard_install": "on"})
    assert farm_settings.get("phone_keyboard_install") is True
    changes = AuditEntry.objects.filter(action="setting.change").order_by("at", "id")
    assert [(e.user, e.detail["new"]) for e in changes] == [(owner, False), (owner, True)]
