"""Reading settings from the environment: small helpers that fail loudly on bad values.

A typo in a farm's environment (``WORKERS=two``, ``DEBUG=yes please``) must stop the process at
start-up with a message naming the variable, not be silently replaced by a default.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1 (or true/false), got {raw!r}")


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {value}")
    return value


def env_list(name: str, default: list[str] | None = None, *, sep: str = ",") -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(sep) if item.strip()]


def env_timeouts(name: str) -> dict[str, int]:
    """``"post=900,follow=120"`` → ``{"post": 900, "follow": 120}`` (seconds, at least 5)."""
    timeouts = {}
    for item in env_list(name):
        script, _, seconds = item.partition("=")
        try:
            timeouts[script.strip()] = int(seconds)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must look like 'post=900,follow=120', got {item!r}"
            ) from None
        if timeouts[script.strip()] < 5:
            raise ImproperlyConfigured(f"{name}: {script.strip()} needs at least 5 seconds")
    return timeouts


def read_or_create_secret(path: Path, make: Callable[[], str]) -> str:
    """Return the secret stored in ``path``, creating it (mode 0600) on first use.

    Used for SECRET_KEY and FIELD_ENCRYPTION_KEY so a fresh install works with no setup and keeps
    the same keys across restarts. Creation is race-free: two processes starting at once agree.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def random_secret_key() -> str:
    return secrets.token_urlsafe(50)


def database_from_url(url: str, *, sqlite_default: Path) -> dict:
    """Turn ``DATABASE_URL`` into a Django DATABASES entry (PostgreSQL or SQLite only)."""
    if not url:
        return sqlite_database(sqlite_default)
    parts = urlsplit(url)
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:///relative/file.db has path "/relative/file.db"; sqlite:////abs has "//abs".
        path = path[1:] if path.startswith("//") else path.lstrip("/")
        if not path:
            raise ImproperlyConfigured("DATABASE_URL sqlite:// needs a file path")
        return sqlite_database(Path(path))
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported: use postgres:// or sqlite:///"
    )


def sqlite_database(path: Path) -> dict:
    """SQLite tuned for several processes writing at once (web, workers, device watcher).

    WAL lets readers run beside one writer; IMMEDIATE transactions take the write lock up front
    so two writers queue on ``busy_timeout`` instead of failing with "database is locked" midway.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=30000;"
            ),
        },
    }
