"""The API fuzzed from its own OpenAPI schema (schemathesis), as an owner.

Every generated request, valid or not, must get an answer that is not a server error, is in
the ``{code, message, data}`` envelope and matches what /api/schema/ documents (status code,
content type, body). ``make test`` runs a few derandomised examples per operation (the same ones
every run); ``make fuzz`` sets FUZZ_EXAMPLES much higher with fresh random data each run.
"""

from __future__ import annotations

import json
import os
import socket

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.models import ApiToken
from tasks.models import Task
from tests.apihelp import isolate
from tests.tasks.factories import make_account, make_device, make_task

DEFAULT_EXAMPLES = 8
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

pytestmark = pytest.mark.django_db


# Operations that reach the adb server. Here none runs (the settings point at a port where
# nothing listens), so `connect` dials none of the addresses the fuzzer invents, and the one
# server error allowed is theirs: 50001 "phone problem: the adb server … is not answering".
# Against a real adb server they are tested in test_devices.py and tests/devices.
REACH_THE_ADB_SERVER = {
    ("POST", "/api/v1/devices/connect"),
    ("POST", "/api/v1/devices/disconnect"),
    ("GET", "/api/v1/devices/{serial}/screenshot"),
}

# Loaded once, when the tests are collected: the schema view needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def one_transaction_per_test(settings):
    """The WSGI app closes the database connection after each request, which would end the
    test's transaction; Django's own test client switches that off the same way."""
    isolate(settings)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def no_adb_server(settings):
    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        settings.ADB_SERVER_HOST, settings.ADB_SERVER_PORT = probe.getsockname()


@pytest.fixture
def owner_key(owner) -> str:
    """An owner's token, and a farm for the requests to find: phones, accounts, tasks."""
    phone = make_device(serial="emulator-5554")
    make_account(phone, username="alice")
    for status in (Task.Status.PENDING, Task.Status.FAILED, Task.Status.COMPLETED):
        make_task(phone, status=status)
    _, key = ApiToken.issue(owner, name="fuzz")
    return key


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=EXAMPLES <= DEFAULT_EXAMPLES,
    suppress_health_check=list(HealthCheck),
)
def test_every_generated_request_gets_a_documented_envelope(case, owner_key):
    response = case.call(headers={"Authorization": f"Token {owner_key}"})
    checks = CHECKS
    # Header names come lower-cased, each with a list of values.
    if response.headers.get("content-type", [""])[0].startswith("application/json"):
        body = json.loads(response.content)
        assert set(body) == {"code", "message", "data"}, body
        assert body["code"] == 0 or body["code"] // 100 == response.status_code, body
        if (case.method.upper(), case.path) in REACH_THE_ADB_SERVER and body["code"] == 50001:
            assert body["message"].startswith("phone problem: the adb server"), body
            checks = [check for check in CHECKS if check is not not_a_server_error]
    case.validate_response(response, checks=checks)
