"""Phone actions outside tasks (devices.actions): screenshots, thumbnails, TCP connects."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest
from PIL import Image

from core.errors import Code, DomainError
from core.models import AuditEntry
from devices import actions
from devices.models import Device
from tests.phones import wait_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def configured(settings, adb_server):
    """The product's adb settings point at the test's private adb server."""
    settings.ADB_SERVER_HOST, settings.ADB_SERVER_PORT = adb_server.host, adb_server.port


def test_a_thumbnail_of_a_real_phone_is_scaled_stored_and_noted_on_its_row(configured, make_phone):
    phone = make_phone()
    device = Device.objects.create(serial=phone.serial, state=Device.State.ONLINE)

    path = actions.take_thumbnail(phone.serial)

    with Image.open(path) as thumbnail:
        assert thumbnail.format == "PNG" and thumbnail.width == actions.THUMBNAIL_WIDTH
    device.refresh_from_db()
    assert device.thumbnail_at is not None and path.name == device.thumbnail.name.split("/")[-1]
    assert list(path.parent.glob("*.tmp")) == []  # written then renamed


def test_a_phone_that_cannot_answer_is_a_domain_error_answered_as_50001(configured):
    with pytest.raises(actions.PhoneActionError) as raised:
        actions.screenshot("127.0.0.1:1")  # the adb server knows no such phone

    error = raised.value
    assert isinstance(error, DomainError) and error.code is Code.INTERNAL
    assert str(error) == f"phone problem: {error.reason}" and "127.0.0.1:1" in error.reason


def test_connect_and_disconnect_are_audited_by_address(configured, make_phone, adb):
    phone = make_phone(wait_state=None)  # running, but the adb server does not know it yet

    message = actions.connect(phone.serial, actor="localhost API")
    wait_state(adb, phone.serial, "device")
    assert actions.disconnect(phone.serial, actor="localhost API") is True
    wait_state(adb, phone.serial, None)

    entries = AuditEntry.objects.order_by("id")
    assert [(e.action, e.actor, e.object_type, e.object_id) for e in entries] == [
        ("device.connect", "localhost API", "device", phone.serial),
        ("device.disconnect", "localhost API", "device", phone.serial),
    ]
    assert [e.detail for e in entries] == [{"message": message}, {"was_connected": True}]


def test_a_refused_connect_is_not_audited(configured):
    with pytest.raises(actions.PhoneActionError):
        actions.connect("127.0.0.1:1")  # nothing listens on port 1
    assert not AuditEntry.objects.exists()


@pytest.fixture
def open_port():
    """A port where something listens, but no phone: it takes connections and drops them."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drop_everyone():
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                server.accept()[0].close()

    thread = threading.Thread(target=drop_everyone, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_an_open_port_and_a_closed_one_get_the_same_answer(configured, open_port, monkeypatch):
    monkeypatch.setattr(actions, "CONNECT_TIMEOUT", 3.0)
    reasons = []
    for address in ("127.0.0.1:1", f"127.0.0.1:{open_port}"):
        with pytest.raises(actions.PhoneActionError) as raised:
            actions.connect(address)
        reasons.append(raised.value.reason.replace(address, "ADDRESS"))
    assert reasons[0] == reasons[1] == actions.NO_PHONE_THERE.format(address="ADDRESS")
