"""Farm-wide settings an owner changes from the dashboard, kept in the database.

Each setting is declared here once: its key, label, type and the Django setting (read from the
environment) that gives its default while nobody has changed it. Reads are cached per process
for a few seconds, so workers and web processes pick up a change within ``CACHE_SECONDS``
without a query per use. Every change is audited (``setting.change``)::

    from core import farm_settings

    if farm_settings.get("phone_keyboard_install"):
        ...
    farm_settings.change("phone_keyboard_install", False, user=request.user, request=request)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.audit import record
from core.models import Setting

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Definition:
    key: str
    label: str | Promise
    help_text: str | Promise
    kind: type  # the value's Python type: bool, int or str
    default_setting: str  # the Django setting (from the environment) giving the default

    @property
    def default(self) -> Any:
        return getattr(settings, self.default_setting)


DEFINITIONS = {
    d.key: d
    for d in (
        Definition(
            key="phone_keyboard_install",
            label=_("Install the typing keyboard on phones"),
            help_text=_(
                "Scripts type captions and comments through uiautomator2's keyboard app "
                "(com.github.uiautomator), installed on a phone the first time it is needed. "
                "Off: text is pasted through the clipboard instead and nothing is installed."
            ),
            kind=bool,
            default_setting="PHONE_KEYBOARD_INSTALL",
        ),
    )
}

_cache: dict[str, tuple[float, Any]] = {}  # key -> (monotonic deadline, value)
_lock = threading.Lock()


def definition(key: str) -> Definition:
    try:
        return DEFINITIONS[key]
    except KeyError:
        raise KeyError(f"no farm setting called {key!r}") from None


def get(key: str) -> Any:
    """The setting's value: the owner's choice, else the environment's default."""
    spec = definition(key)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and now < cached[0]:
        return cached[1]
    row = Setting.objects.filter(key=key).values_list("value", flat=True).first()
    value = spec.default if row is None else spec.kind(row)
    with _lock:
        _cache[key] = (now + CACHE_SECONDS, value)
    return value


def change(key: str, value: Any, *, user=None, actor: str | None = None, request=None) -> bool:
    """Store a new value (audited); False when it was already the value in force."""
    spec = definition(key)
    if not isinstance(value, spec.kind):
        raise TypeError(f"{key} takes a {spec.kind.__name__}, not {type(value).__name__}")
    clear_cache()  # compare with the stored value, not one cached seconds ago
    old = get(key)
    if old == value:
        return False
    who = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        Setting.objects.update_or_create(key=key, defaults={"value": value, "updated_by": who})
        record(
            "setting.change",
            user=user,
            actor=actor,
            object_type="setting",
            object_id=key,
            detail={"old": old, "new": value},
            request=request,
        )
    clear_cache()
    transaction.on_commit(clear_cache)
    return True


def clear_cache() -> None:
    """Forget cached values in this process (after a change; tests)."""
    with _lock:
        _cache.clear()
