"""API tokens are shown once, stored hashed, and revocable."""

import pytest
from django.core.management import call_command
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIRequestFactory

from core.models import ApiToken, hash_token
from core.tokens import HashedTokenAuthentication


def authenticate(key: str):
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {key}")
    return HashedTokenAuthentication().authenticate(request)


@pytest.mark.django_db
def test_only_the_hash_of_a_token_is_stored(operator):
    token, key = ApiToken.issue(operator)
    assert token.key_hash == hash_token(key) != key
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert key.startswith(token.prefix)


@pytest.mark.django_db
def test_a_token_authenticates_its_user(operator):
    _, key = ApiToken.issue(operator)
    user, token = authenticate(key)
    assert user == operator
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_a_revoked_token_is_refused(operator):
    token, key = ApiToken.issue(operator)
    token.revoke()
    with pytest.raises(AuthenticationFailed):
        authenticate(key)


@pytest.mark.django_db
def test_a_deactivated_users_token_is_refused(operator):
    _, key = ApiToken.issue(operator)
    operator.is_active = False
    operator.save()
    with pytest.raises(AuthenticationFailed):
        authenticate(key)


@pytest.mark.django_db
def test_an_unknown_token_is_refused():
    with pytest.raises(AuthenticationFailed):
        authenticate("tmx_not-a-real-token")


@pytest.mark.django_db
def test_api_token_command_prints_a_working_token(operator, capsys):
    call_command("api_token", operator.username)
    key = capsys.readouterr().out.strip()
    assert authenticate(key)[0] == operator
