"""Accounts CSV: all-or-nothing import with per-row errors, and export without secrets."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEntry
from devices import accounts_csv
from devices.models import Account
from tests.tasks.factories import make_account, make_device

pytestmark = pytest.mark.django_db

HEADER = "id,platform,username,email,password,device,packagename,logined,status,tags\n"


def rows(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode()


def errors_of(result) -> dict[int, str]:
    return {e.line: " ".join(e.messages) for e in result.errors}


def test_new_rows_create_accounts_with_their_phone_and_tags():
    device = make_device(serial="emulator-5554")
    result = accounts_csv.import_accounts(
        rows(
            ',tiktok,@alice,a@example.com,pw1,emulator-5554,com.clone.tt,1,0,"br, vip"',
            ",instagram,bob,,,,,0,1,",
        )
    )
    assert result.ok and (result.created, result.updated) == (2, 0)
    alice = Account.objects.get(username="alice")
    assert alice.device == device and alice.password == "pw1" and alice.logined
    assert alice.packagename == "com.clone.tt"
    assert sorted(t.name for t in alice.tags.all()) == ["br", "vip"]
    assert Account.objects.get(username="bob").status == Account.Status.DISABLED


def test_a_row_with_an_id_updates_and_an_empty_password_keeps_the_old_one():
    account = make_account(username="carol", password="keep-me")
    result = accounts_csv.import_accounts(rows(f"{account.pk},tiktok,carol2,,,,,0,0,"))
    assert result.ok and result.updated == 1
    account.refresh_from_db()
    assert account.username == "carol2" and account.password == "keep-me"


def test_one_bad_row_imports_nothing_and_names_every_problem():
    make_account(username="taken")
    result = accounts_csv.import_accounts(
        rows(
            ",tiktok,fine,,,,,0,0,",
            ",myspace,x,,,,,0,0,",
            ",tiktok,taken,,,,,0,0,",
            ",tiktok,y,not-an-email,,no-such-phone,,maybe,7,",
            "999,tiktok,ghost,,,,,0,0,",
        )
    )
    assert not result.ok
    problems = errors_of(result)
    assert set(problems) == {3, 4, 5, 6}
    assert "myspace" in problems[3]
    assert "already exists" in problems[4]
    assert "email" in problems[5] and "no-such-phone" in problems[5]
    assert "logined" in problems[5] and "status" in problems[5]
    assert "no account with id 999" in problems[6]
    assert not Account.objects.filter(username="fine").exists()


def test_duplicates_inside_the_file_are_reported_on_the_second_line():
    result = accounts_csv.import_accounts(rows(",tiktok,dup,,,,,0,0,", ",tiktok,@dup,,,,,0,0,"))
    assert errors_of(result) == {3: "@dup is already on line 2 of this file."}
    # The same username on another platform is a different account.
    assert accounts_csv.import_accounts(rows(",tiktok,dup,,,,,0,0,", ",instagram,dup,,,,,0,0,")).ok


def test_the_same_id_twice_is_an_error():
    account = make_account(username="twice")
    result = accounts_csv.import_accounts(
        rows(f"{account.pk},tiktok,twice,,,,,0,0,", f"{account.pk},tiktok,twice2,,,,,0,0,")
    )
    assert 3 in errors_of(result)


def test_a_utf8_bom_from_excel_is_accepted():
    result = accounts_csv.import_accounts("\ufeff".encode() + rows(",tiktok,josé,,,,,0,0,"))
    assert result.ok and Account.objects.filter(username="josé").exists()


def test_a_file_that_is_not_utf8_is_refused():
    result = accounts_csv.import_accounts(
        rows(",tiktok,jos\xe9,,,,,0,0,").decode().encode("latin-1")
    )
    assert "UTF-8" in errors_of(result)[0]


def test_missing_and_unknown_columns_are_refused():
    assert (
        "username" in errors_of(accounts_csv.import_accounts(b"platform,email\ntiktok,a@b.c\n"))[0]
    )
    assert (
        "colour" in errors_of(accounts_csv.import_accounts(b"platform,username,colour\nx,y,z\n"))[0]
    )


def test_a_header_only_file_is_refused():
    assert "no rows" in errors_of(accounts_csv.import_accounts(HEADER.encode()))[0]


def test_a_row_with_too_many_cells_is_refused():
    result = accounts_csv.import_accounts(rows(",tiktok,extra,,,,,0,0,,surplus"))
    assert "more cells" in errors_of(result)[2]


def test_huge_files_are_refused_before_reading(monkeypatch):
    monkeypatch.setattr(accounts_csv, "MAX_BYTES", 100)
    upload = SimpleUploadedFile("a.csv", rows(*[f",tiktok,u{i},,,,,0,0," for i in range(20)]))
    result = accounts_csv.import_upload(upload)
    assert "too large" in errors_of(result)[0]


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(accounts_csv, "MAX_ROWS", 3)
    result = accounts_csv.import_accounts(rows(*[f",tiktok,u{i},,,,,0,0," for i in range(4)]))
    assert "Too many rows" in errors_of(result)[0]


def test_export_never_contains_passwords_and_round_trips():
    device = make_device(serial="emulator-5556")
    account = make_account(device, username="exported", password="s3cret!", twofa_secret="TOTP")
    account.tags.create(name="br")
    text = "".join(accounts_csv.export_lines(Account.objects.prefetch_related("tags")))
    assert "s3cret!" not in text and "TOTP" not in text
    table = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert table == [
        {
            "id": str(account.pk),
            "platform": "tiktok",
            "username": "exported",
            "email": "",
            "password": "",
            "device": "emulator-5556",
            "packagename": "",
            "logined": "0",
            "status": "0",
            "tags": "br",
        }
    ]
    assert accounts_csv.import_accounts(text.encode()).updated == 1
    account.refresh_from_db()
    assert account.password == "s3cret!"


def test_export_defuses_spreadsheet_formulas_and_import_restores_them():
    account = make_account(username="formula", email="")
    account.tags.create(name="=HYPERLINK(1)")
    text = "".join(accounts_csv.export_lines(Account.objects.all()))
    assert "'=HYPERLINK(1)" in text
    accounts_csv.import_accounts(text.encode())
    assert [t.name for t in account.tags.all()] == ["=HYPERLINK(1)"]


# -- through the page ---------------------------------------------------------------------------


def test_the_page_imports_a_good_file(client_as, operator):
    upload = SimpleUploadedFile("a.csv", rows(",tiktok,viapage,,,,,0,0,"), "text/csv")
    response = client_as(operator).post("/accounts/import/", {"file": upload}, follow=True)
    assert b"1 created" in response.content
    assert AuditEntry.objects.get(action="account.import").detail == {"created": 1, "updated": 0}


def test_the_page_shows_row_errors_with_422(client_as, operator):
    upload = SimpleUploadedFile("a.csv", rows(",tiktok,,,,,,0,0,"), "text/csv")
    response = client_as(operator).post("/accounts/import/", {"file": upload})
    assert response.status_code == 422
    assert b"Line 2" in response.content and b"username is empty" in response.content
    assert not Account.objects.exists()


def test_viewers_can_export_but_not_import(client_as, viewer):
    make_account(username="seen", password="hidden-pw")
    response = client_as(viewer).get("/accounts/export.csv")
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and b"seen" in body and b"hidden-pw" not in body
    upload = SimpleUploadedFile("a.csv", rows(",tiktok,nope,,,,,0,0,"))
    assert client_as(viewer).post("/accounts/import/", {"file": upload}).status_code == 403
