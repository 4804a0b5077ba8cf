"""/api/v1/accounts: accounts with their phone's live status; never a password."""

from __future__ import annotations

import pytest

from devices.models import Account, Device, Platform, Tag
from tests.apihelp import errors, fails, isolate, ok
from tests.tasks.factories import make_account, make_device

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


URL = "/api/v1/accounts"


def test_an_account_has_the_contract_fields_and_never_its_secrets(as_viewer):
    phone = make_device(serial="emulator-5554", name="shelf 1")
    account = make_account(
        phone,
        username="amy",
        email="amy@example.com",
        password="hunter2",
        twofa_secret="JBSWY3DP",
        logined=True,
    )
    account.tags.add(Tag.objects.create(name="brazil"))

    response = as_viewer.get(URL)
    [data] = ok(response)["accounts"]

    assert data == {
        "id": account.pk,
        "username": "amy",
        "email": "amy@example.com",
        "platform": "tiktok",
        "packagename": None,
        "device": "emulator-5554",
        "device_online": True,
        "device_name": "shelf 1",
        "logined": 1,
        "logined_text": "logged_in",
        "status": 0,
        "status_text": "enabled",
        "tags": ["brazil"],
    }
    assert "hunter2" not in response.content.decode()
    assert "JBSWY3DP" not in response.content.decode()


def test_an_offline_or_missing_phone_shows_as_such(as_viewer):
    make_account(make_device(state=Device.State.OFFLINE), username="off")
    make_account(None, username="nowhere", email="")

    by_name = {a["username"]: a for a in ok(as_viewer.get(URL))["accounts"]}
    assert (by_name["off"]["device_online"], by_name["off"]["device_name"]) == (False, "")
    assert by_name["nowhere"]["device"] is None and by_name["nowhere"]["email"] is None


def test_the_list_filters_like_tikmatrix(as_viewer):
    phone = make_device(serial="emulator-5554")
    tiktok = make_account(phone, username="tt", logined=True)
    insta = make_account(make_device(), username="ig", platform=Platform.INSTAGRAM)
    disabled = make_account(None, username="off", status=Account.Status.DISABLED)
    tiktok.tags.add(Tag.objects.create(name="vip"))

    def names(query):
        return {a["username"] for a in ok(as_viewer.get(f"{URL}?{query}"))["accounts"]}

    assert names("platform=instagram") == {insta.username}
    assert names("device=emulator-5554") == {tiktok.username}
    assert names("logined=1") == {tiktok.username}
    assert names("logined=0") == {insta.username, disabled.username}
    assert names("status=1") == {disabled.username}
    assert names("tag=vip") == {tiktok.username}
    for bad in ("platform=myspace", "status=7", "logined=yes"):
        assert errors(as_viewer.get(f"{URL}?{bad}")), bad


def test_newest_first_and_paginated(as_viewer):
    accounts = [make_account(None, username=f"user{n}") for n in range(5)]
    data = ok(as_viewer.get(f"{URL}?page=2&page_size=2"))
    assert [a["id"] for a in data["accounts"]] == [accounts[2].pk, accounts[1].pk]
    assert (data["total"], data["page"], data["page_size"]) == (5, 2, 2)


def test_one_account_by_id(as_viewer):
    account = make_account(None, username="solo")
    assert ok(as_viewer.get(f"{URL}/{account.pk}"))["username"] == "solo"
    fails(as_viewer.get(f"{URL}/99999"), 40401)


def test_the_list_costs_the_same_queries_at_any_page_size(as_viewer, django_assert_num_queries):
    tag = Tag.objects.create(name="t")
    for n in range(30):
        make_account(make_device(), username=f"acc{n}").tags.add(tag)
    as_viewer.get(URL)
    # The licence is cached in-process since the first request, so: token + role + count +
    # page (phone joined) + tags (one prefetch)
    for size in (3, 30):
        with django_assert_num_queries(5):
            assert len(ok(as_viewer.get(f"{URL}?page_size={size}"))["accounts"]) == size
