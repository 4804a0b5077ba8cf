"""Who may use what: every URL of the site × every persona, against one table.

The cases are generated from the URL conf, so a new page or endpoint without a row in
``EXPECTED`` fails ``test_every_url_has_a_row``. A row says, per HTTP method, the least access
that passes the gate: PUBLIC (anyone), SIGNED_IN (any member, even without a role), or a role.
Passing the gate means not being turned away: not 401/403 and, for pages, not sent to sign in;
what happens next (200, a redirect, a 404 or a 422 for an empty form) is other tests' business.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.models import ApiToken
from core.roles import Role
from tasks.models import Material, Task
from tests.conftest import make_user
from tests.tasks.factories import make_account, make_device, make_task

pytestmark = pytest.mark.django_db

PUBLIC, SIGNED_IN = "public", "signed in"
VIEWER, OPERATOR, OWNER = Role.VIEWER, Role.OPERATOR, Role.OWNER

# url name (or, for an unnamed route, its pattern) → {method: least access}
EXPECTED: dict[str, dict[str, object]] = {
    # Signing in and the language switcher
    "login": {"GET": PUBLIC, "POST": PUBLIC},
    "logout": {"POST": PUBLIC},
    "set_language": {"POST": PUBLIC},
    "healthz": {"GET": PUBLIC},
    "password-change": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    # The farm
    "overview": {"GET": VIEWER},
    "device-list": {"GET": VIEWER},
    "device-connect": {"POST": OPERATOR},
    "device-detail": {"GET": VIEWER},
    "device-edit": {"POST": OPERATOR},
    "device-screenshot": {"POST": OPERATOR},
    "device-thumbnail": {"GET": VIEWER},
    "account-list": {"GET": VIEWER},
    "account-create": {"GET": OPERATOR, "POST": OPERATOR},
    "account-import": {"POST": OPERATOR},
    "account-export": {"GET": VIEWER},  # passwords are never exported
    "account-edit": {"GET": OPERATOR, "POST": OPERATOR},
    "account-toggle": {"POST": OPERATOR},
    "account-delete": {"POST": OPERATOR},
    "task-list": {"GET": VIEWER},
    "task-create": {"GET": OPERATOR, "POST": OPERATOR},
    "task-bulk": {"POST": OPERATOR},
    "task-retry-all": {"POST": OPERATOR},
    "task-detail": {"GET": VIEWER},
    "task-action": {"POST": OPERATOR},
    "task-failure-shot": {"GET": VIEWER},
    "material-list": {"GET": VIEWER},
    "material-upload": {"POST": OPERATOR},
    "material-edit": {"GET": OPERATOR, "POST": OPERATOR},
    "material-delete": {"POST": OPERATOR},
    "material-file": {"GET": VIEWER},
    "audit": {"GET": VIEWER},
    # The owner's pages
    "team": {"GET": OWNER},
    "member-create": {"POST": OWNER},
    "member-role": {"POST": OWNER},
    "member-active": {"POST": OWNER},
    "token-create": {"POST": OWNER},
    "token-revoke": {"POST": OWNER},
    "signin-unlock": {"POST": OWNER},
    "farm-settings": {"POST": OWNER},
    "licences": {"GET": OWNER},
    "licence-install": {"POST": OWNER},
    # Every page of the Django admin (index and each model's list)
    "admin": {"GET": OWNER},
    # The API
    "api-schema": {"GET": PUBLIC},
    "api-docs": {"GET": PUBLIC},
    "api/^.*$": {"GET": PUBLIC, "POST": PUBLIC},  # unknown routes: 40401 for anyone
    "api:license-check": {"GET": VIEWER},
    "api:task-list": {"GET": VIEWER, "POST": OPERATOR},
    "api:task-batch": {"DELETE": OPERATOR},
    "api:task-retry-all": {"POST": OPERATOR},
    "api:task-stats": {"GET": VIEWER},
    "api:task-detail": {"GET": VIEWER, "DELETE": OPERATOR},
    "api:task-failure-hierarchy": {"GET": VIEWER},
    "api:task-failure-screenshot": {"GET": VIEWER},
    "api:task-retry": {"POST": OPERATOR},
    "api:task-stop": {"POST": OPERATOR},
    "api:device-list": {"GET": VIEWER},
    "api:device-connect": {"POST": OPERATOR},
    "api:device-disconnect": {"POST": OPERATOR},
    "api:device-detail": {"GET": VIEWER},
    # A live screenshot: an operator's action, as on the dashboard (devices.access).
    "api:device-screenshot": {"GET": OPERATOR},
    "api:account-list": {"GET": VIEWER},
    "api:account-detail": {"GET": VIEWER},
    "api:material-list": {"GET": VIEWER, "POST": OPERATOR},
    "api:material-detail": {"DELETE": OPERATOR},
}

PERSONAS = ["anonymous", "outsider", "viewer", "operator", "owner"]
PERSONA_ROLES = {"outsider": Role.NONE, "viewer": VIEWER, "operator": OPERATOR, "owner": OWNER}


@dataclass(frozen=True)
class Route:
    key: str  # the row of EXPECTED
    name: str | None
    pattern: URLPattern


def routes(patterns=None, namespace: str | None = None, prefix: str = ""):
    """Every route of the URL conf, with its EXPECTED key; the admin's count as one."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = entry.namespace
            nested = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from routes(entry.url_patterns, nested, pattern)
        elif pattern.startswith("admin/"):
            yield Route("admin", entry.name, entry)
        else:
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield Route(name or pattern, name, entry)


def test_every_url_has_a_row():
    keys = {route.key for route in routes()}
    assert sorted(keys - EXPECTED.keys()) == [], "add these URLs to EXPECTED"
    assert sorted(EXPECTED.keys() - keys) == [], "these rows name no URL any more"


def test_api_rows_list_exactly_the_methods_each_route_serves():
    for route in routes():
        actions = getattr(route.pattern.callback, "actions", None)
        if actions:
            served = {m.upper() for m in actions} - {"HEAD"}  # DRF adds HEAD beside GET
            assert set(EXPECTED[route.key]) == served, route.key


@pytest.fixture
def world(settings):
    """One of everything a URL can name."""
    device = make_device(serial="emulator-5554")
    (settings.MATERIAL_UPLOAD_ROOT / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    member = make_user("nina", VIEWER)
    token, _ = ApiToken.issue(member)
    return {
        "device": device,
        "task": make_task(device, status=Task.Status.FAILED),
        "account": make_account(device),
        "material": Material.objects.create(file="clip.mp4", kind="video", size=12),
        "member": member,
        "token": token,
    }


def path_of(key: str, world: dict) -> list[str]:
    """Concrete paths for a row (the admin row: its index and every model's list)."""
    if key == "admin":
        return ["/admin/"] + [
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            for model in admin.site._registry
        ]
    if key == "api/^.*$":
        return ["/api/v1/no-such-thing"]
    route = next(r for r in routes() if r.key == key)
    kwargs = {}
    for arg in route.pattern.pattern.regex.groupindex:
        kwargs[arg] = _argument(arg, key, world)
    return [reverse(key, kwargs=kwargs)]


def _argument(arg: str, key: str, world: dict):
    if arg == "serial":
        return world["device"].serial
    if arg == "task_id":
        return world["task"].pk
    if arg == "action":
        return "retry"
    owner_of_pk = {"account": "account", "material": "material", "task": "task",
                   "member": "member", "token": "token"}  # fmt: skip
    for prefix, thing in owner_of_pk.items():
        if key.split(":")[-1].startswith(prefix):
            return world[thing].pk
    raise AssertionError(f"no value for {arg} in {key}")


def cases():
    for key, methods in EXPECTED.items():
        for method, access in methods.items():
            yield pytest.param(key, method, access, id=f"{method} {key}")


def allowed(persona: str, access) -> bool:
    if access == PUBLIC:
        return True
    if persona == "anonymous":
        return False
    return access == SIGNED_IN or PERSONA_ROLES[persona] >= access


def client_for(persona: str) -> Client:
    # A crash is not a refusal: it comes back as a 500 (finding those is the fuzzer's job).
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        role = PERSONA_ROLES[persona]
        client.force_login(make_user(f"{persona}-x", role if role is not Role.NONE else None))
    return client


def turned_away(response, access) -> bool:
    if response.status_code in (401, 403):
        return True
    if access == PUBLIC:  # e.g. signing out sends anyone to the login page
        return False
    location = response.get("Location", "") if response.status_code == 302 else ""
    return location.startswith(("/login/", "/admin/login/"))


@pytest.mark.parametrize("key,method,access", list(cases()))
def test_each_persona_gets_exactly_the_access_in_the_table(world, key, method, access):
    # Least access first, so an operator's delete cannot hide an owner's refusal.
    for persona in PERSONAS:
        client = client_for(persona)
        for path in path_of(key, world):
            response = client.generic(method, path)
            expected = allowed(persona, access)
            assert turned_away(response, access) is not expected, (
                f"{persona} {method} {path}: {response.status_code} "
                f"{response.get('Location', '')} (expected {'in' if expected else 'out'})"
            )
