"""Shared fixtures: team personas, clients signed in as them, and isolated file storage."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from core.models import ApiToken
from core.roles import Role, set_role

# Every shared fixture is registered here, for every test folder: the real adb server and
# simulated phones (tests/phones.py) and the API helpers (tests/apihelp.py).
pytest_plugins = ["tests.phones", "tests.apihelp"]

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """Keep an SQLite test database in a file, not in memory, so that the worker processes the
    engine tests start (qcluster, dispatcher) can open the same database."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


@pytest.fixture(autouse=True)
def isolated_files(settings, tmp_path):
    """Uploads, materials and failure evidence go to a per-test folder, never the real var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MATERIAL_ROOTS = [tmp_path / "materials"]
    settings.MATERIAL_UPLOAD_ROOT = tmp_path / "materials"
    (tmp_path / "materials").mkdir()
    settings.LICENCE_TRIAL_FILE = tmp_path / "trial"
    # Persona passwords are hashed for every test: a fast hasher keeps the suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A private cache per test: rate limits and the like never leak between tests (or between
    # test runs sharing the repo's var/ folder).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return tmp_path


@pytest.fixture(autouse=True)
def default_language():
    """A test that renders in pt-BR (or any language) must not leave it active for the next."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_entitlement():
    """The licence answer is cached in-process for a few seconds; each test's database is rolled
    back, so a cached answer from another test would be stale."""
    from core import licensing

    licensing.clear_entitlement_cache()
    yield
    licensing.clear_entitlement_cache()


@pytest.fixture(autouse=True)
def fresh_farm_settings():
    """Farm settings are cached in-process for a few seconds too (core.farm_settings)."""
    from core import farm_settings

    farm_settings.clear_cache()
    yield
    farm_settings.clear_cache()


def make_user(username: str, role: Role | None):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    if role is not None:
        set_role(user, role)
    return user


@pytest.fixture
def owner(db):
    return make_user("olivia", Role.OWNER)


@pytest.fixture
def operator(db):
    return make_user("oscar", Role.OPERATOR)


@pytest.fixture
def viewer(db):
    return make_user("vera", Role.VIEWER)


@pytest.fixture
def outsider(db):
    """Signed in, but with no team role."""
    return make_user("ursula", None)


@pytest.fixture
def client_as():
    """``client_as(user)`` → a Django test client with that user signed in."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_as():
    """``api_as(user)`` → a DRF client sending that user's fresh API token."""

    def make(user) -> APIClient:
        _, key = ApiToken.issue(user, name="test")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make
