"""/api/v1/devices: list, detail, connect, disconnect, screenshot (device layer stubbed)."""

from __future__ import annotations

import pytest

from core.models import AuditEntry
from devices import adb
from devices.models import Device, DeviceGroup, Tag
from tasks.models import Task
from tests.apihelp import errors, fails, isolate, ok
from tests.tasks.factories import make_device, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings):
    isolate(settings)


@pytest.fixture
def as_viewer(api_as, viewer):
    return api_as(viewer)


@pytest.fixture
def as_operator(api_as, operator):
    return api_as(operator)


URL = "/api/v1/devices"


def test_a_device_has_every_field_of_the_contract(as_viewer):
    phone = make_device(serial="192.168.1.20:5555", name="shelf 1", battery=80, screen="1080x2400")
    phone.groups.add(DeviceGroup.objects.create(name="hub-a"))
    phone.tags.add(Tag.objects.create(name="brazil"))
    running = make_task(phone, status=Task.Status.RUNNING)

    data = ok(as_viewer.get(f"{URL}/{phone.serial}"))

    assert set(data) == {
        "serial",
        "index",
        "name",
        "model",
        "brand",
        "android_version",
        "state",
        "host",
        "battery",
        "screen",
        "busy_task_id",
        "last_seen",
        "groups",
        "tags",
    }
    assert (data["serial"], data["index"], data["state"]) == (phone.serial, phone.index, "online")
    assert data["busy_task_id"] == running.pk
    assert (data["groups"], data["tags"]) == (["hub-a"], ["brazil"])


def test_unknown_serials_are_40401(as_viewer):
    fails(as_viewer.get(f"{URL}/no-such-phone"), 40401)


def test_the_list_filters_by_online_group_and_tag(as_viewer):
    online = make_device()
    offline = make_device(state=Device.State.OFFLINE)
    online.groups.add(DeviceGroup.objects.create(name="hub-a"))
    offline.tags.add(Tag.objects.create(name="spare"))

    def serials(query):
        return [d["serial"] for d in ok(as_viewer.get(f"{URL}?{query}"))["devices"]]

    assert serials("") == [online.serial, offline.serial]  # by friendly number
    assert serials("online=1") == [online.serial]
    assert serials("online=0") == [offline.serial]
    assert serials("group=hub-a") == [online.serial]
    assert serials("tag=spare") == [offline.serial]
    assert errors(as_viewer.get(f"{URL}?online=maybe"))


def test_the_list_costs_the_same_queries_at_any_page_size(as_viewer, django_assert_num_queries):
    group, tag = DeviceGroup.objects.create(name="g"), Tag.objects.create(name="t")
    for _ in range(30):
        phone = make_device()
        phone.groups.add(group)
        phone.tags.add(tag)
        make_task(phone, status=Task.Status.RUNNING)
    as_viewer.get(URL)
    # The licence is cached in-process since the first request, so: token + role + count +
    # page (busy task is a subquery) + groups + tags
    for size in (3, 30):
        with django_assert_num_queries(6):
            assert len(ok(as_viewer.get(f"{URL}?page_size={size}"))["devices"]) == size


# --- the phone layer ----------------------------------------------------------------------------


class FakeAdb:
    calls: list = []

    def __init__(self, timeout=None):
        pass

    def connect(self, address):
        self.calls.append(("connect", address))
        return f"connected to {address}"

    def disconnect(self, address):
        self.calls.append(("disconnect", address))
        return True


class FakeLink:
    def __init__(self, serial, timeout=None):
        self.serial = serial

    def screenshot_png(self, timeout=None):
        return adb.PNG_SIGNATURE + b"pixels"


@pytest.fixture
def fake_adb(monkeypatch):
    FakeAdb.calls = []
    monkeypatch.setattr(adb, "Adb", FakeAdb)
    monkeypatch.setattr(adb, "open_device", FakeLink)
    return FakeAdb


def test_connect_and_disconnect_a_tcp_phone(as_operator, fake_adb):
    data = ok(as_operator.post(f"{URL}/connect", {"address": "192.168.1.20:5555"}, format="json"))
    assert data == {"address": "192.168.1.20:5555", "message": "connected to 192.168.1.20:5555"}
    data = ok(
        as_operator.post(f"{URL}/disconnect/", {"address": "192.168.1.20:5555"}, format="json")
    )
    assert data["disconnected"] is True
    assert fake_adb.calls == [("connect", "192.168.1.20:5555"), ("disconnect", "192.168.1.20:5555")]
    assert [e.action for e in AuditEntry.objects.order_by("id")] == [
        "device.connect",
        "device.disconnect",
    ]


@pytest.mark.parametrize("address", ["", "192.168.1.20", "host:99999", "a b:1", None])
def test_connect_needs_a_host_and_port(as_operator, fake_adb, address):
    assert "address" in errors(
        as_operator.post(f"{URL}/connect", {"address": address}, format="json")
    )
    assert fake_adb.calls == []


def test_viewers_cannot_connect_phones(as_viewer, fake_adb):
    fails(as_viewer.post(f"{URL}/connect", {"address": "10.0.0.2:5555"}, format="json"), 40302)


def test_a_screenshot_is_a_png(as_viewer, fake_adb):
    phone = make_device()
    response = as_viewer.get(f"{URL}/{phone.serial}/screenshot")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(adb.PNG_SIGNATURE)


def test_phone_problems_are_50001_with_the_reason_in_words(as_viewer, as_operator, monkeypatch):
    class Unreachable:
        def __init__(self, *args, **kwargs):
            raise adb.DeviceOffline("the phone is offline: reconnect its cable", "x")

    monkeypatch.setattr(adb, "open_device", Unreachable)
    monkeypatch.setattr(adb, "Adb", Unreachable)
    phone = make_device()

    body = fails(as_viewer.get(f"{URL}/{phone.serial}/screenshot"), 50001)
    assert body["message"].startswith("phone problem: ")
    assert "reconnect its cable" in body["message"]
    body = fails(
        as_operator.post(f"{URL}/connect", {"address": "10.0.0.2:5555"}, format="json"), 50001
    )
    assert "offline" in body["message"]


# --- against a real adb server and a simulated phone ----------------------------------------


@pytest.fixture
def real_adb(settings, adb_server):
    settings.ADB_SERVER_HOST, settings.ADB_SERVER_PORT = adb_server.host, adb_server.port
    return adb_server


def test_a_screenshot_of_a_real_simulated_phone(real_adb, make_phone, client_as, operator):
    from tests.tasks.engine import register

    phone = make_phone()
    register(phone)
    response = client_as(operator).get(f"/api/v1/devices/{phone.serial}/screenshot")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_connect_and_disconnect_a_tcp_phone_through_the_api(real_adb, make_phone, adb,
                                                            client_as, operator):  # fmt: skip
    from tests.phones import wait_state

    phone = make_phone(wait_state=None)  # running, but the adb server does not know it yet
    api = client_as(operator)
    response = api.post("/api/v1/devices/connect", {"address": phone.serial},
                        content_type="application/json")  # fmt: skip
    assert response.json()["code"] == 0, response.json()
    wait_state(adb, phone.serial, "device")
    response = api.post("/api/v1/devices/disconnect", {"address": phone.serial},
                        content_type="application/json")  # fmt: skip
    assert response.json()["code"] == 0, response.json()
    wait_state(adb, phone.serial, None)
