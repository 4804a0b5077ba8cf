"""/api/v1/devices: list, detail, connect, disconnect, screenshot (device layer stubbed)."""

from __future__ import annotations

import socket

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


@pytest.mark.parametrize(
    "address", ["", "host:99999", "host:0", "a b:1", "-host:5555", "host:", ":5555", None]
)
def test_connect_needs_a_host_and_a_valid_port(as_operator, fake_adb, address):
    assert "address" in errors(
        as_operator.post(f"{URL}/connect", {"address": address}, format="json")
    )
    assert fake_adb.calls == []


@pytest.mark.parametrize(
    "address,meant",
    [("192.168.1.20", "192.168.1.20:5555"), (" phone-7.lan:5037 ", "phone-7.lan:5037"),
     ("[fe80::1]:5555", "[fe80::1]:5555")],
)  # fmt: skip
def test_the_api_reads_addresses_as_the_dashboard_form_does(
    as_operator, client_as, operator, fake_adb, address, meant
):
    assert (
        ok(as_operator.post(f"{URL}/connect", {"address": address}, format="json"))["address"]
        == meant
    )
    client_as(operator).post("/devices/connect/", {"address": address})
    assert fake_adb.calls == [("connect", meant), ("connect", meant)]


class FailingAdb(FakeAdb):
    """An adb server whose connects fail the way it says they fail."""

    reason = ""

    def connect(self, address):
        raise adb.DeviceError(f"could not connect: {self.reason}", address)

    def disconnect(self, address):
        self.calls.append(("disconnect", address))
        return False


@pytest.mark.parametrize(
    "reason",
    [
        "failed to connect to '10.0.0.2:5555': Connection refused",
        "failed to connect to 10.0.0.2:5555",  # something listens there, but not a phone
        "failed to connect to '10.0.0.2:5555': No route to host",
        "failed to resolve host: '10.0.0.2': Name or service not known",
    ],
)
def test_a_failed_connect_does_not_say_whether_the_port_is_open(
    as_operator, client_as, operator, monkeypatch, reason
):
    FailingAdb.calls, FailingAdb.reason = [], reason
    monkeypatch.setattr(adb, "Adb", FailingAdb)

    body = fails(as_operator.post(f"{URL}/connect", {"address": "10.0.0.2"}, format="json"), 50001)
    assert body["message"] == (
        "phone problem: no phone answered at 10.0.0.2:5555; check the address and port, that "
        "the phone is on this network and that wireless debugging is on"
    )
    page = client_as(operator).post("/devices/connect/", {"address": "10.0.0.2"}, follow=True)
    assert "no phone answered at 10.0.0.2:5555" in page.content.decode()
    assert reason not in page.content.decode()
    # No half-open entry is left for adb to retry (and for the device list to show).
    assert FailingAdb.calls == [("disconnect", "10.0.0.2:5555")] * 2


def test_viewers_cannot_connect_phones(as_viewer, fake_adb):
    fails(as_viewer.post(f"{URL}/connect", {"address": "10.0.0.2:5555"}, format="json"), 40302)


def test_a_screenshot_is_a_png(as_operator, fake_adb):
    phone = make_device()
    response = as_operator.get(f"{URL}/{phone.serial}/screenshot")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(adb.PNG_SIGNATURE)


def test_viewers_cannot_take_live_screenshots(as_viewer, fake_adb):
    # The dashboard's rule: viewers see the watcher's thumbnail, operators take a fresh one.
    fails(as_viewer.get(f"{URL}/{make_device().serial}/screenshot"), 40302)


def test_phone_problems_are_50001_with_the_reason_in_words(as_operator, monkeypatch):
    class Unreachable:
        def __init__(self, *args, **kwargs):
            raise adb.DeviceOffline("the phone is offline: reconnect its cable", "x")

    monkeypatch.setattr(adb, "open_device", Unreachable)
    monkeypatch.setattr(adb, "Adb", Unreachable)
    phone = make_device()

    body = fails(as_operator.get(f"{URL}/{phone.serial}/screenshot"), 50001)
    assert body["message"].startswith("phone problem: ")
    assert "reconnect its cable" in body["message"]
    body = fails(
        as_operator.post(f"{URL}/connect", {"address": "10.0.0.2:5555"}, format="json"), 50001
    )
    assert body["message"].startswith("phone problem: no phone answered at 10.0.0.2:5555")


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_an_adb_server_phone_actions_say_so(as_operator, settings, unused_port):
    settings.ADB_SERVER_PORT = unused_port  # nothing listens there
    phone = make_device()
    for response in (
        as_operator.get(f"{URL}/{phone.serial}/screenshot"),
        as_operator.post(f"{URL}/connect", {"address": "HEc2:50"}, format="json"),
        as_operator.post(f"{URL}/disconnect", {"address": "HEc2:50"}, format="json"),
    ):
        message = fails(response, 50001)["message"]
        assert message.startswith(f"phone problem: the adb server at 127.0.0.1:{unused_port} is")


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
