"""Usernames people can tell apart, passwords that pass the validators, changing your own."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from core.models import AuditEntry
from team.usernames import skeleton
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-longer-passphrase-2026"


def create_member(client, username: str):
    data = {"username": username, "role": "viewer", "password": ""}
    return client.post("/team/members/new/", data)


@pytest.mark.parametrize(
    "username",
    [
        "<script>alert(1)</script>",
        "with space",
        "ol\u200bivia",  # a zero-width space inside an existing name
        "\u03bflivia",  # Greek small omicron in place of the o of olivia
        "\u041elivia",  # Cyrillic capital O
        "OLIVIA",
        "0livia",
        "\uff4flivia",  # fullwidth o: NFKC makes it olivia
    ],
)
def test_the_team_form_refuses_invalid_or_look_alike_usernames(client_as, owner, username):
    response = create_member(client_as(owner), username)
    assert response.status_code == 422
    assert get_user_model().objects.count() == 1


def test_a_distinct_unicode_username_is_accepted_and_stored_normalised(client_as, owner):
    # o + combining acute, fullwidth 1: NFKC makes them \u00f3 and 1.
    assert create_member(client_as(owner), "jo\u0301se\uff11").status_code == 200
    assert get_user_model().objects.filter(username="j\u00f3se1").exists()


def test_skeletons_ignore_case_width_invisible_characters_and_look_alikes():
    assert skeleton("Olivia") == skeleton("\u03bfl\u200bivia") == skeleton("0livia")
    assert skeleton("modern") == skeleton("rnodern")
    assert skeleton("olivia") != skeleton("oliver")


def test_the_first_owner_password_must_pass_the_validators(monkeypatch):
    monkeypatch.setenv("ADMIN_USERNAME", "boss")
    monkeypatch.setenv("ADMIN_PASSWORD", "a")
    with pytest.raises(CommandError, match="ADMIN_PASSWORD is too weak"):
        call_command("create_first_owner")
    assert not get_user_model().objects.exists()
    monkeypatch.setenv("ADMIN_PASSWORD", NEW_PASSWORD)
    call_command("create_first_owner")
    assert get_user_model().objects.get(username="boss").check_password(NEW_PASSWORD)


def test_the_first_owner_username_must_be_valid(monkeypatch):
    monkeypatch.setenv("ADMIN_USERNAME", "<b>boss</b>")
    monkeypatch.setenv("ADMIN_PASSWORD", NEW_PASSWORD)
    with pytest.raises(CommandError, match="ADMIN_USERNAME"):
        call_command("create_first_owner")


@pytest.mark.parametrize("persona", ["viewer", "operator", "owner", "outsider"])
def test_every_signed_in_member_can_change_their_password(client_as, request, persona):
    member = request.getfixturevalue(persona)
    client = client_as(member)
    page = client.get("/password/")
    assert page.status_code == 200 and b'name="old_password"' in page.content
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert b"Your password was changed." in response.content
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert client.get("/password/").status_code == 200  # still signed in
    entry = AuditEntry.objects.get(action="user.password")
    assert (entry.user, entry.object_id) == (member, str(member.pk))
    assert NEW_PASSWORD not in str(entry.detail)


def test_a_wrong_old_or_weak_new_password_is_422(client_as, viewer):
    client = client_as(viewer)
    wrong_old = {"old_password": "nope", "new_password1": NEW_PASSWORD,
                 "new_password2": NEW_PASSWORD}  # fmt: skip
    assert client.post("/password/", wrong_old).status_code == 422
    weak = {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"}
    assert client.post("/password/", weak).status_code == 422
    viewer.refresh_from_db()
    assert viewer.check_password(PASSWORD)
    assert not AuditEntry.objects.filter(action="user.password").exists()


def test_the_password_page_needs_a_signed_in_user_and_speaks_portuguese(client, client_as, viewer):
    assert client.get("/password/")["Location"].startswith("/login/")
    page = client_as(viewer).get("/password/", HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()
    assert "Alterar senha" in page and "Senha antiga" in page
