"""Sign-in limits: per username and per address, a clear lockout, the audit trail, unlocking."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core.management import call_command
from django.test import Client

from core.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def sign_in(username: str, password: str, address: str = "10.0.0.1", **headers):
    client = Client(REMOTE_ADDR=address)
    return client, client.post("/login/", {"username": username, "password": password}, **headers)


def fail(times: int, username: str, address: str = "10.0.0.1") -> None:
    for _ in range(times):
        sign_in(username, "wrong password", address)


def signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def test_a_few_wrong_passwords_do_not_lock(owner):
    fail(LIMIT - 1, owner.username)
    client, response = sign_in(owner.username, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_too_many_failures_lock_the_username_from_every_address(owner):
    fail(LIMIT, owner.username, "10.0.0.1")
    client, response = sign_in(owner.username, PASSWORD, "10.0.0.2")
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content
    assert b"locked for 15 minutes" in response.content
    assert not signed_in(client)


def test_too_many_failures_from_one_address_lock_that_address(owner, operator):
    for name in ("a", "b", "c"):
        fail(1, name, "10.0.0.9")
    _, response = sign_in(owner.username, PASSWORD, "10.0.0.9")
    assert response.status_code == 429
    client, response = sign_in(operator.username, PASSWORD, "10.0.0.8")
    assert response.status_code == 302 and signed_in(client)


def test_the_lockout_message_is_translated(owner):
    fail(LIMIT, owner.username)
    _, response = sign_in(owner.username, PASSWORD, HTTP_ACCEPT_LANGUAGE="pt-br")
    assert response.status_code == 429
    assert "Tentativas de entrada demais" in response.content.decode()


def test_once_locked_a_guess_costs_no_password_hash(owner):
    fail(LIMIT, owner.username)
    with mock.patch.object(ModelBackend, "authenticate", autospec=True) as check:
        for _ in range(5):
            _, response = sign_in(owner.username, "another guess")
            assert response.status_code == 429
    check.assert_not_called()


def test_sign_ins_failures_and_the_lockout_are_audited_once_each(owner):
    sign_in(owner.username, PASSWORD, "10.0.0.5")
    fail(LIMIT + 4, "mallory", "10.0.0.6")
    success = AuditEntry.objects.get(action="signin.success")
    assert (success.user, success.ip) == (owner, "10.0.0.5")
    failures = AuditEntry.objects.filter(action="signin.failure")
    assert failures.count() == LIMIT  # the guesses refused while locked are not one row each
    assert {(f.object_id, f.ip, f.user) for f in failures} == {("mallory", "10.0.0.6", None)}
    lockout = AuditEntry.objects.get(action="signin.lockout")
    assert lockout.object_id == "mallory" and lockout.detail == {"failures": LIMIT}


def test_an_owner_sees_the_locks_and_unlocks_a_username(client_as, owner, viewer):
    fail(LIMIT, viewer.username, "10.0.0.1")
    fail(1, "x", "10.0.0.7")
    page = client_as(owner).get("/team/").content.decode()
    assert "Locked sign-ins" in page and viewer.username in page and "10.0.0.7" not in page
    response = client_as(owner).post(
        "/team/signins/unlock/", {"kind": "username", "value": viewer.username}, follow=True
    )
    assert "Sign-in unlocked" in response.content.decode()
    assert "Locked sign-ins" not in client_as(owner).get("/team/").content.decode()
    entry = AuditEntry.objects.get(action="signin.unlock")
    assert (entry.user, entry.object_type, entry.object_id) == (owner, "username", viewer.username)
    client, response = sign_in(viewer.username, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_only_an_owner_may_unlock(client_as, operator, viewer):
    fail(LIMIT, viewer.username)
    response = client_as(operator).post(
        "/team/signins/unlock/", {"kind": "username", "value": viewer.username}
    )
    assert response.status_code == 403
    assert sign_in(viewer.username, PASSWORD)[1].status_code == 429


def test_a_management_command_unlocks_an_address(owner, capsys):
    fail(LIMIT, "someone", "10.0.0.3")
    call_command("unlock_signins")
    assert "address 10.0.0.3: 3 failures" in capsys.readouterr().out
    call_command("unlock_signins", "--address", "10.0.0.3")
    assert sign_in(owner.username, PASSWORD, "10.0.0.3")[1].status_code == 302
    entry = AuditEntry.objects.get(action="signin.unlock")
    assert (entry.actor, entry.object_type, entry.object_id) == ("manage.py", "address", "10.0.0.3")
