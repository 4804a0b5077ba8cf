"""Invariants of devices and accounts, and secrets encrypted at rest."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import IntegrityError, connection

from core.encryption import DecryptionError
from devices.models import Account, Device, Platform

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_devices_get_stable_increasing_indexes():
    first = Device.objects.create(serial="A1")
    second = Device.objects.create(serial="B2")
    assert (first.index, second.index) == (1, 2)
    first.name = "left shelf"
    first.save()
    first.refresh_from_db()
    assert first.index == 1


@pytest.mark.django_db
def test_a_removed_device_index_is_not_reused_by_the_next_phone_unless_it_was_the_last():
    Device.objects.create(serial="A1")
    middle = Device.objects.create(serial="B2")
    Device.objects.create(serial="C3")
    middle.delete()
    assert Device.objects.create(serial="D4").index == 4


@pytest.mark.django_db
def test_serial_is_unique():
    Device.objects.create(serial="A1")
    with pytest.raises(IntegrityError):
        Device.objects.create(serial="A1")


@pytest.mark.django_db
def test_username_is_unique_per_platform_only():
    Account.objects.create(platform=Platform.TIKTOK, username="maria")
    Account.objects.create(platform=Platform.INSTAGRAM, username="maria")
    with pytest.raises(IntegrityError):
        Account.objects.create(platform=Platform.TIKTOK, username="maria")


@pytest.mark.django_db
def test_usernames_are_stored_without_the_at_sign():
    with pytest.raises(IntegrityError):
        Account.objects.create(platform=Platform.TIKTOK, username="@maria")


def test_clean_strips_the_at_sign():
    account = Account(platform=Platform.TIKTOK, username=" @maria ")
    account.clean()
    assert account.username == "maria"


@pytest.mark.django_db
def test_secrets_round_trip_and_are_ciphertext_in_the_column():
    account = Account.objects.create(
        platform=Platform.TIKTOK, username="maria", password="s3nh@-forte", twofa_secret="JBSWY3DP"
    )
    account.refresh_from_db()
    assert (account.password, account.twofa_secret) == ("s3nh@-forte", "JBSWY3DP")
    with connection.cursor() as cursor:
        cursor.execute("SELECT password, twofa_secret FROM devices_account")
        stored = cursor.fetchone()
    assert all(value.startswith("fernet:") for value in stored)
    assert "s3nh@-forte" not in stored[0]


@pytest.mark.django_db
def test_a_wrong_key_refuses_to_decrypt_rather_than_returning_garbage(settings):
    Account.objects.create(platform=Platform.TIKTOK, username="maria", password="secret")
    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError, match="FIELD_ENCRYPTION_KEY"):
        Account.objects.get(username="maria")


@pytest.mark.django_db
def test_key_rotation_re_encrypts_under_the_new_key(settings, capsys):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    old = settings.FIELD_ENCRYPTION_KEYS[0]
    Account.objects.create(platform=Platform.TIKTOK, username="maria", password="secret")
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_field_key")
    assert "1 accounts" in capsys.readouterr().out
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert Account.objects.get(username="maria").password == "secret"


def test_plaintext_secrets_are_nowhere_in_the_database_files(tmp_path):
    env = {**os.environ, "VAR_DIR": str(tmp_path)}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    run("migrate", "--noinput")
    run(
        "shell",
        "-c",
        "from devices.models import Account;"
        "Account.objects.create(platform='tiktok', username='maria',"
        " password='PlainPassw0rdXYZ', twofa_secret='TOTPSECRETABCDEF')",
    )
    files = list(tmp_path.glob("tikmatrix.sqlite3*"))
    assert files
    content = b"".join(f.read_bytes() for f in files)
    assert b"maria" in content  # the row is really there
    assert b"PlainPassw0rdXYZ" not in content
    assert b"TOTPSECRETABCDEF" not in content
