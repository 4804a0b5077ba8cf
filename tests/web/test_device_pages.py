"""The device grid and device page: who sees what, filters, editing, connecting, query counts."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from core.models import AuditEntry
from devices import actions, adb
from devices.models import Device, DeviceGroup, Tag
from tasks.models import Task
from tests.tasks.factories import make_account, make_device, make_task

pytestmark = pytest.mark.django_db


def grid_queries(client, url: str = "/devices/") -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def make_farm(n: int) -> None:
    group, tag = (
        DeviceGroup.objects.get_or_create(name="hub")[0],
        Tag.objects.get_or_create(name="br")[0],
    )
    for i in range(n):
        device = make_device(state=Device.State.ONLINE if i % 3 else Device.State.OFFLINE)
        device.groups.add(group)
        device.tags.add(tag)
        if i % 5 == 0:
            make_task(device, status=Task.Status.RUNNING, progress=30)


def test_every_role_sees_the_grid(client_as, owner, operator, viewer):
    make_device(name="Shelf phone")
    for user in (owner, operator, viewer):
        response = client_as(user).get("/devices/")
        assert response.status_code == 200
        assert b"Shelf phone" in response.content


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/devices/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_user_without_a_role_is_refused(client_as, outsider):
    assert client_as(outsider).get("/devices/").status_code == 403


def test_the_connect_form_is_only_offered_to_operators(client_as, operator, viewer):
    assert b"Connect a TCP phone" in client_as(operator).get("/devices/").content
    assert b"Connect a TCP phone" not in client_as(viewer).get("/devices/").content


def test_offline_and_unauthorized_phones_say_how_to_fix_them(client_as, viewer):
    make_device(state=Device.State.OFFLINE)
    make_device(state=Device.State.UNAUTHORIZED)
    page = client_as(viewer).get("/devices/").content.decode()
    assert "Check the USB cable" in page
    assert "USB debugging prompt" in page


def test_a_busy_phone_shows_its_task_and_progress(client_as, viewer):
    device = make_device()
    task = make_task(device, status=Task.Status.RUNNING, progress=42, step="typing caption")
    page = client_as(viewer).get("/devices/").content.decode()
    assert (
        f"/tasks/{task.pk}/" in page
        and "typing caption" in page
        and '<progress class="bar" max="100" value="42">' in page
    )


def test_filters_by_state_group_tag_and_busy(client_as, viewer):
    group, tag = DeviceGroup.objects.create(name="hub-A"), Tag.objects.create(name="vip")
    grouped = make_device(name="grouped")
    grouped.groups.add(group)
    tagged = make_device(name="tagged", state=Device.State.OFFLINE)
    tagged.tags.add(tag)
    busy = make_device(name="busyone")
    make_task(busy, status=Task.Status.RUNNING)
    client = client_as(viewer)

    def names(query: str) -> set[str]:
        page = client.get(f"/devices/?{query}").content.decode()
        return {n for n in ("grouped", "tagged", "busyone") if f">{n}<" in page}

    assert names("group=hub-A") == {"grouped"}
    assert names("tag=vip") == {"tagged"}
    assert names("state=offline") == {"tagged"}
    assert names("state=busy") == {"busyone"}
    assert names("q=tag") == {"tagged"}


def test_the_grid_needs_the_same_queries_for_50_or_200_phones(client_as, viewer):
    client = client_as(viewer)
    make_farm(50)
    with_50 = grid_queries(client)
    make_farm(150)
    with_200 = grid_queries(client)
    assert with_50 == with_200
    assert with_200 <= 12


def test_the_grid_is_paginated(client_as, viewer):
    make_farm(70)
    page = client_as(viewer).get("/devices/").content.decode()
    assert "Page 1 of 2" in page
    assert "70 phones" in page


def test_the_live_fragment_is_only_the_grid(client_as, viewer):
    make_device(name="frag")
    response = client_as(viewer).get("/devices/?fragment=1")
    assert response.status_code == 200
    assert b"frag" in response.content and b"<html" not in response.content


def test_the_device_page_shows_details_and_task_history(client_as, viewer):
    device = make_device(name="Detail phone", battery=77)
    account = make_account(device, username="histuser")
    make_task(device, account=account, script_name="post", status=Task.Status.COMPLETED)
    page = client_as(viewer).get(f"/devices/{device.serial}/").content.decode()
    assert "Detail phone" in page and "77%" in page and "@histuser" in page and "post" in page
    assert "Fresh screenshot" not in page  # viewers cannot act


def test_an_unknown_serial_is_404(client_as, viewer):
    assert client_as(viewer).get("/devices/nope/").status_code == 404


def test_an_operator_renames_and_regroups_a_phone(client_as, operator):
    device = make_device()
    response = client_as(operator).post(
        f"/devices/{device.serial}/edit/",
        {"name": "Phone A", "group_names": "hub-1, hub-2", "tag_names": "brazil"},
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.name == "Phone A"
    assert sorted(g.name for g in device.groups.all()) == ["hub-1", "hub-2"]
    assert [t.name for t in device.tags.all()] == ["brazil"]
    entry = AuditEntry.objects.get(action="device.update")
    assert entry.actor == operator.username and entry.object_id == str(device.pk)


def test_an_invalid_edit_is_422(client_as, operator):
    device = make_device()
    response = client_as(operator).post(
        f"/devices/{device.serial}/edit/", {"name": "x" * 101, "group_names": "", "tag_names": ""}
    )
    assert response.status_code == 422
    assert not AuditEntry.objects.exclude(action="signin.success").exists()


def test_a_viewer_cannot_edit_and_edits_need_post(client_as, viewer, operator):
    device = make_device()
    assert (
        client_as(viewer).post(f"/devices/{device.serial}/edit/", {"name": "x"}).status_code == 403
    )
    assert client_as(operator).get(f"/devices/{device.serial}/edit/").status_code == 405


def test_posts_need_a_csrf_token(operator):
    from django.test import Client

    device = make_device()
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    response = client.post(f"/devices/{device.serial}/edit/", {"name": "x"})
    assert response.status_code == 403


class FakeAdb:
    """The adb server as ``devices.actions`` sees it: connects answer from ``refusal``."""

    refusal: str | None = None
    connected: list[str] = []

    def __init__(self, timeout=None):
        pass

    def connect(self, address):
        if self.refusal:
            raise adb.DeviceError(self.refusal, address)
        self.connected.append(address)
        return f"connected to {address}"

    def disconnect(self, address):
        return False


class FakeLink:
    """One phone whose screen is a 1080×2400 PNG (or that has gone offline)."""

    offline = False

    def __init__(self, serial, timeout=None):
        self.serial = serial

    def screenshot_png(self, timeout=None):
        if self.offline:
            raise adb.DeviceOffline("the phone is offline (unplugged or asleep?)", self.serial)
        out = io.BytesIO()
        Image.new("RGB", (1080, 2400), "navy").save(out, format="PNG")
        return out.getvalue()


@pytest.fixture
def fake_adb(monkeypatch):
    monkeypatch.setattr(FakeAdb, "refusal", None)
    monkeypatch.setattr(FakeAdb, "connected", [])
    monkeypatch.setattr(FakeLink, "offline", False)
    monkeypatch.setattr(adb, "Adb", FakeAdb)
    monkeypatch.setattr(adb, "open_device", FakeLink)
    return FakeAdb


def test_connecting_a_tcp_phone_calls_the_device_layer(client_as, operator, fake_adb):
    response = client_as(operator).post(
        "/devices/connect/", {"address": "192.168.1.50"}, follow=True
    )
    assert fake_adb.connected == ["192.168.1.50:5555"]
    assert b"Connected 192.168.1.50:5555" in response.content
    entry = AuditEntry.objects.get(action="device.connect")
    assert (entry.actor, entry.object_id) == (operator.username, "192.168.1.50:5555")
    assert entry.detail == {"message": "connected to 192.168.1.50:5555"}


def test_a_failed_connect_says_no_phone_answered(client_as, operator, fake_adb):
    # Not adb's own reason: "refused" or "timed out" would tell whether the port is open.
    fake_adb.refusal = "failed to connect to '10.0.0.9:5555': Connection refused"
    response = client_as(operator).post(
        "/devices/connect/", {"address": "10.0.0.9:5555"}, follow=True
    )
    assert b"Could not connect 10.0.0.9:5555: no phone answered at 10.0.0.9:5555" in (
        response.content
    )
    assert b"refused" not in response.content
    assert not AuditEntry.objects.filter(action__startswith="device.").exists()


def test_a_bad_address_is_422(client_as, operator):
    assert (
        client_as(operator).post("/devices/connect/", {"address": "host:99999"}).status_code == 422
    )


def test_the_thumbnail_is_served_when_there_is_one(client_as, viewer):
    device = make_device()
    assert client_as(viewer).get(f"/devices/{device.serial}/screen.png").status_code == 404
    path = actions.thumbnail_path(device.serial)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    response = client_as(viewer).get(f"/devices/{device.serial}/screen.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"screen.png?v=" in client_as(viewer).get("/devices/").content


def test_a_fresh_screenshot_replaces_the_thumbnail(client_as, operator, fake_adb):
    device = make_device()
    response = client_as(operator).post(f"/devices/{device.serial}/screenshot/")
    assert response.status_code == 302
    with Image.open(actions.thumbnail_path(device.serial)) as thumbnail:
        assert thumbnail.size == (actions.THUMBNAIL_WIDTH, 600)  # scaled like the watcher's
    device.refresh_from_db()
    assert device.thumbnail_at is not None
    assert device.thumbnail.name == f"screens/{actions.thumbnail_path(device.serial).name}"


def test_a_failed_screenshot_says_why(client_as, operator, fake_adb):
    FakeLink.offline = True
    device = make_device()
    response = client_as(operator).post(f"/devices/{device.serial}/screenshot/", follow=True)
    assert b"No screenshot: " in response.content and b"the phone is offline" in response.content
    assert not actions.thumbnail_path(device.serial).exists()
