"""Settings come from the environment; a bad value stops start-up with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tikmatrix_site.env import database_from_url, env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG") is expected


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "yes please")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG")


def test_env_int_names_the_variable_and_checks_bounds(monkeypatch):
    monkeypatch.setenv("WORKERS", "two")
    with pytest.raises(ImproperlyConfigured, match="WORKERS must be a whole number"):
        env_int("WORKERS", 2)
    monkeypatch.setenv("WORKERS", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("WORKERS", 2, minimum=1)
    monkeypatch.delenv("WORKERS")
    assert env_int("WORKERS", 2) == 2


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("PATHS", " /a : /b ::")
    assert env_list("PATHS", sep=":") == ["/a", "/b"]


def test_database_url_postgres():
    db = database_from_url("postgres://farm:s%40cret@127.0.0.1:5432/farmdb", sqlite_default=Path())
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "farmdb", "farm", "s@cret", "127.0.0.1", "5432"
    )  # fmt: skip


def test_database_default_is_sqlite_tuned_for_concurrent_writers(tmp_path):
    db = database_from_url("", sqlite_default=tmp_path / "x.sqlite3")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_database_url_unknown_scheme_fails_loudly():
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        database_from_url("mysql://x@y/z", sqlite_default=Path())


def _manage(*args, env_extra, tmp_path):
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var"), **env_extra}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env, capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip


def test_a_bad_environment_value_stops_the_process(tmp_path):
    result = _manage("check", env_extra={"PORT": "fifty"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "PORT must be a whole number" in result.stderr


def test_production_mode_passes_deploy_checks_except_https_items(tmp_path):
    result = _manage("check", "--deploy", env_extra={"DEBUG": "0"}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    warnings = {
        line.split(")")[0].split("(")[-1]
        for line in result.stderr.splitlines()
        if "(security." in line
    }
    # Only the items an operator switches on with HTTPS=1 behind a TLS proxy remain.
    assert warnings <= {"security.W004", "security.W008", "security.W012", "security.W016"}


def test_https_mode_passes_all_deploy_checks_without_a_warning(tmp_path):
    result = _manage("check", "--deploy", env_extra={"DEBUG": "0", "HTTPS": "1"}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip() == "System check identified no issues (2 silenced)."


def test_secret_key_is_generated_once_and_kept(tmp_path):
    for _ in range(2):
        result = _manage("check", env_extra={}, tmp_path=tmp_path)
        assert result.returncode == 0, result.stderr
    key_file = tmp_path / "var" / "secret_key"
    assert len(key_file.read_text().strip()) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_per_script_timeouts_are_read_and_checked(monkeypatch):
    from tikmatrix_site.env import env_timeouts

    monkeypatch.setenv("TASK_TIMEOUTS", "post=900, follow=120")
    assert env_timeouts("TASK_TIMEOUTS") == {"post": 900, "follow": 120}
    monkeypatch.setenv("TASK_TIMEOUTS", "post=soon")
    with pytest.raises(ImproperlyConfigured, match="TASK_TIMEOUTS"):
        env_timeouts("TASK_TIMEOUTS")


def _modes(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): oct(path.stat().st_mode & 0o777)
        for path in [root, *root.rglob("*")]
    }


def test_a_fresh_install_keeps_its_files_to_its_user(tmp_path):
    write_things = (
        "from django.db import connection; connection.ensure_connection();"
        "from django.core.files.storage import default_storage;"
        "from django.core.files.base import ContentFile;"
        "default_storage.save('uploads/shot.png', ContentFile(b'png'));"
        "from devices.actions import thumbnail_path; shot = thumbnail_path('phone-1');"
        "shot.parent.mkdir(parents=True, exist_ok=True); shot.write_bytes(b'png')"
    )
    result = _manage("shell", "-c", write_things, env_extra={}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    var = tmp_path / "var"
    modes = _modes(var)
    assert {"tikmatrix.sqlite3", "secret_key", "media/uploads/shot.png"} <= set(modes)
    assert "media/screens/phone-1.png" in modes
    assert {mode for name, mode in modes.items() if (var / name).is_dir()} == {"0o700"}
    assert {mode for name, mode in modes.items() if (var / name).is_file()} == {"0o600"}


def test_start_up_takes_away_what_other_users_could_read(tmp_path):
    var = tmp_path / "var"
    (var / "media" / "screens").mkdir(parents=True)
    (var / "tikmatrix.sqlite3").write_bytes(b"")
    (var / "tikmatrix.sqlite3-wal").write_bytes(b"")
    (var / "media" / "screens" / "phone.png").write_bytes(b"png")
    for path in [var, *var.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)

    assert _manage("check", env_extra={}, tmp_path=tmp_path).returncode == 0
    modes = _modes(var)
    assert modes["."] == modes["media"] == modes["media/screens"] == "0o700"
    assert modes["tikmatrix.sqlite3"] == modes["tikmatrix.sqlite3-wal"] == "0o600"
    assert modes["media/screens/phone.png"] == "0o600"
