"""Real PostgreSQL and Redis for the scaled-out paths. Skipped when absent, except in CI."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def unavailable(what: str, exc: Exception):
    message = f"{what} is not reachable ({exc.__class__.__name__}: {exc})"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " — CI must test the scaled-out path for real")
    pytest.skip(message)


@pytest.fixture
def postgres_url():
    import psycopg

    name = f"tikmatrix_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        unavailable("PostgreSQL", exc)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url():
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=3)
        client.ping()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


@pytest.fixture
def manage(tmp_path):
    """``manage(*args, env=…)`` runs manage.py in a subprocess with its own VAR_DIR."""

    def run(*args, env: dict | None = None, check=True, timeout=120, background=False):
        full_env = {**os.environ, "VAR_DIR": str(tmp_path), "LOG_LEVEL": "WARNING", **(env or {})}
        argv = [sys.executable, str(ROOT / "manage.py"), *args]
        if background:
            return subprocess.Popen(argv, env=full_env, cwd=ROOT, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)  # fmt: skip
        return subprocess.run(argv, env=full_env, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout, check=check)  # fmt: skip

    return run
