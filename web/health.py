"""Liveness checks for /healthz: database, task broker and this host's adb server.

Anyone may ask whether the farm is up (load balancers, uptime monitors), but only the team sees
what it is made of: the host name and each component's state name this install's insides.
"""

from __future__ import annotations

import socket

from django.conf import settings
from django.db import connection


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any driver error means "down"; say which
        return f"error: {exc.__class__.__name__}"


def check_broker() -> str:
    redis_url = settings.Q_CLUSTER.get("redis")
    if not redis_url:
        return "ok (database)" if check_database() == "ok" else "error: database down"
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_timeout=1).ping()
        return "ok (redis)"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"


def check_adb_server(timeout: float = 1.0) -> str:
    """Ask the adb server its version over the smart-socket protocol (no adb binary needed)."""
    try:
        with socket.create_connection(
            (settings.ADB_SERVER_HOST, settings.ADB_SERVER_PORT), timeout=timeout
        ) as sock:
            sock.sendall(b"000chost:version")
            if sock.recv(4) != b"OKAY":
                return "error: unexpected reply"
            return "ok"
    except OSError:
        return "not running"


def health() -> dict:
    return {
        "database": check_database(),
        "broker": check_broker(),
        "adb_server": check_adb_server(),
        "farm_host": settings.FARM_HOST,
    }


def answer(user) -> tuple[dict, int]:
    """/healthz's body and status: 200 while the database answers, else 503. Signed-in users
    also get each check and the host name; anonymous callers only ``status``."""
    report = health()
    ok = report["database"] == "ok"
    body = {"status": "ok" if ok else "error"}
    if user.is_authenticated:
        body.update(report)
    return body, 200 if ok else 503
