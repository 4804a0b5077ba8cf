"""The accounts page: list, create, edit (secrets write-only), enable/disable, delete."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry
from devices.models import Account
from tests.tasks.factories import make_account, make_device

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> dict:
    data = {
        "platform": "tiktok",
        "username": "@newbie",
        "email": "n@example.com",
        "password": "",
        "twofa_secret": "",
        "device": "",
        "packagename": "",
        "status": "0",
        "daily_follow_limit": "20",
        "daily_unfollow_limit": "20",
        "daily_post_limit": "5",
        "daily_comment_limit": "50",
        "tag_names": "",
    }
    return {**data, **overrides}


def test_every_role_sees_accounts_but_only_operators_get_buttons(client_as, viewer, operator):
    make_account(username="listed")
    viewer_page = client_as(viewer).get("/accounts/").content
    assert b"@listed" in viewer_page and b"New account" not in viewer_page
    assert b"Disable" not in viewer_page and b"Import" not in viewer_page
    assert b"New account" in client_as(operator).get("/accounts/").content


def test_the_list_needs_the_same_queries_for_10_or_60_accounts(client_as, viewer):
    client = client_as(viewer)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get("/accounts/")
        return len(ctx.captured_queries)

    for _ in range(10):
        account = make_account(make_device())
        account.tags.create(name=f"t{account.pk}")
    ten = count()
    for _ in range(50):
        make_account(make_device())
    assert count() == ten


def test_an_operator_creates_an_account_bound_to_a_phone(client_as, operator):
    device = make_device()
    response = client_as(operator).post(
        "/accounts/new/",
        form_data(device=device.pk, password="pw", packagename="com.clone", tag_names="a, b"),
    )
    assert response.status_code == 302
    account = Account.objects.get(username="newbie")
    assert account.device == device and account.password == "pw"
    assert account.packagename == "com.clone"
    assert AuditEntry.objects.get(action="account.create").object_id == str(account.pk)


def test_the_password_is_never_rendered_and_empty_keeps_it(client_as, operator):
    account = make_account(username="secretive", password="hunter2", twofa_secret="JBSWY3DP")
    client = client_as(operator)
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    assert "hunter2" not in page and "JBSWY3DP" not in page
    assert "A password is stored." in page
    client.post(f"/accounts/{account.pk}/", form_data(username="secretive", daily_post_limit="2"))
    account.refresh_from_db()
    assert account.password == "hunter2" and account.twofa_secret == "JBSWY3DP"
    assert account.daily_post_limit == 2
    detail = AuditEntry.objects.get(action="account.update").detail
    assert "hunter2" not in str(detail)


def test_secrets_can_be_replaced_or_cleared(client_as, operator):
    account = make_account(username="rotating", password="old")
    client = client_as(operator)
    client.post(f"/accounts/{account.pk}/", form_data(username="rotating", password="new"))
    account.refresh_from_db()
    assert account.password == "new"
    client.post(f"/accounts/{account.pk}/", form_data(username="rotating", clear_secrets="on"))
    account.refresh_from_db()
    assert account.password == ""


def test_an_invalid_account_is_422_with_the_errors(client_as, operator):
    make_account(username="twin")
    response = client_as(operator).post(
        "/accounts/new/", form_data(username="twin", daily_post_limit="-1")
    )
    assert response.status_code == 422
    assert b"already exists" in response.content
    response = client_as(operator).post("/accounts/new/", form_data(username="@"))
    assert response.status_code == 422


def test_enable_disable_and_delete(client_as, operator):
    account = make_account(username="toggled")
    client = client_as(operator)
    client.post(f"/accounts/{account.pk}/toggle/")
    account.refresh_from_db()
    assert account.status == Account.Status.DISABLED
    client.post(f"/accounts/{account.pk}/toggle/")
    account.refresh_from_db()
    assert account.is_enabled
    client.post(f"/accounts/{account.pk}/delete/")
    assert not Account.objects.exists()
    actions = list(
        AuditEntry.objects.exclude(action="signin.success")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["account.disable", "account.enable", "account.delete"]


def test_viewers_cannot_change_accounts(client_as, viewer):
    account = make_account(username="stays")
    client = client_as(viewer)
    assert client.get("/accounts/new/").status_code == 403
    assert client.get(f"/accounts/{account.pk}/").status_code == 403
    assert client.post(f"/accounts/{account.pk}/toggle/").status_code == 403
    assert client.post(f"/accounts/{account.pk}/delete/").status_code == 403
    assert Account.objects.get().is_enabled


def test_filters(client_as, viewer):
    make_account(username="tt_one", platform="tiktok")
    make_account(username="ig_one", platform="instagram", status=Account.Status.DISABLED)
    client = client_as(viewer)
    page = client.get("/accounts/?platform=instagram").content.decode()
    assert "@ig_one" in page and "@tt_one" not in page
    page = client.get("/accounts/?status=0").content.decode()
    assert "@tt_one" in page and "@ig_one" not in page
    page = client.get("/accounts/?q=@tt").content.decode()
    assert "@tt_one" in page and "@ig_one" not in page
