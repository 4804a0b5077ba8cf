"""Small factories for tasks tests: a phone, an account, a task, with sensible defaults."""

from __future__ import annotations

import uuid
from itertools import count

from django.conf import settings
from django.utils import timezone

from devices.models import Account, Device, Platform
from tasks.models import Task

_numbers = count(1)


def make_device(*, state=Device.State.ONLINE, host: str | None = None, **fields) -> Device:
    n = next(_numbers)
    return Device.objects.create(
        serial=fields.pop("serial", f"127.0.0.1:{40000 + n}"),
        state=state,
        host=host if host is not None else settings.FARM_HOST,
        model="Pixel 7",
        **fields,
    )


def make_account(device: Device | None = None, **fields) -> Account:
    n = next(_numbers)
    fields.setdefault("platform", Platform.TIKTOK)
    return Account.objects.create(username=fields.pop("username", f"user{n}"), device=device,
                                  **fields)  # fmt: skip


def make_task(device: Device | None, *, account: Account | None = None, **fields) -> Task:
    fields.setdefault("script_name", "follow")
    fields.setdefault("script_config", {"target_users": ["someone"]})
    fields.setdefault("scheduled_at", timezone.now())
    return Task.objects.create(
        device=device,
        serial=device.serial if device else "gone",
        account=account,
        username=account.username if account else "",
        **fields,
    )


def make_running(device: Device | None, **fields) -> Task:
    """A task whose run a worker has begun: holding its phone, beating now."""
    now = timezone.now()
    run = {"run_id": uuid.uuid4(), "phone_held": True, "worker": "h1:4242"}
    fields = {"started_at": now, "heartbeat_at": now, "host": settings.FARM_HOST, **run, **fields}
    return make_task(device, status=Task.Status.RUNNING, **fields)
