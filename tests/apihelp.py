"""Helpers for the API tests: reading envelopes, licence plans, throttle isolation.

Its fixtures are registered suite-wide by ``tests/conftest.py``; API test modules start with
``pytestmark = pytest.mark.usefixtures("api_cache")``. Elsewhere, call ``isolate(settings)``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core import licensing
from core.models import Licence


def ok(response) -> Any:
    """The ``data`` of a successful envelope (HTTP 200, code 0)."""
    body = response.json()
    assert response.status_code == 200, body
    assert body["code"] == 0 and body["message"] == "success", body
    return body["data"]


def fails(response, code: int) -> dict:
    """The body of an error envelope with ``code`` (HTTP status = code's first three digits)."""
    body = response.json()
    assert set(body) == {"code", "message", "data"}, body
    assert body["code"] == code, body
    assert response.status_code == code // 100, (response.status_code, body)
    assert "Traceback" not in response.content.decode()
    return body


def errors(response) -> dict[str, list[str]]:
    """``data.errors`` of a 40001 answer."""
    return fails(response, 40001)["data"]["errors"]


def expire_trial() -> None:
    """This install is on the Free plan: its trial ran out."""
    licensing.ensure_trial()
    Licence.objects.filter(is_trial=True).update(expires_at=timezone.now() - timedelta(days=1))


def install_plan(settings, plan: str, devices: int = 5) -> None:
    """Install a ``plan`` key signed by a throwaway issuer this install trusts."""
    private_pem, public = licensing.generate_keypair()
    settings.LICENCE_PUBLIC_KEYS = [public]
    expire_trial()
    key = licensing.issue_key(private_pem, plan=plan, devices=devices, days=30, licensee="test")
    licensing.install_key(key)


def isolate(settings) -> None:
    """A private cache per test, so throttle counters never leak between tests (or to var/).
    Also a fast password hasher: the personas' passwords are hashed once per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"api-tests-{id(settings)}",
        }
    }


@pytest.fixture
def api_cache(settings) -> None:
    isolate(settings)


@pytest.fixture
def free_plan(db) -> None:
    expire_trial()


@pytest.fixture
def starter_plan(db, settings) -> None:
    install_plan(settings, "starter")


LOCAL_HOST = "127.0.0.1:50809"


def local_client(address: str = "127.0.0.1", **headers) -> APIClient:
    """A program on this machine calling the API as TikMatrix clients do (Host names it)."""
    return APIClient(REMOTE_ADDR=address, **{"HTTP_HOST": LOCAL_HOST, **headers})


@pytest.fixture
def local_api(settings) -> APIClient:
    """Compatibility mode: a TikMatrix client on this machine, no token."""
    settings.API_OPEN_ON_LOCALHOST = True
    return local_client()


@pytest.fixture
def as_operator(api_as, operator) -> APIClient:
    return api_as(operator)


@pytest.fixture
def as_viewer(api_as, viewer) -> APIClient:
    return api_as(viewer)


@pytest.fixture
def as_owner(api_as, owner) -> APIClient:
    return api_as(owner)
