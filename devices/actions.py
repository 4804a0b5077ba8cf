"""What is done to a phone outside a task: a screenshot, a fresh thumbnail for the device grid,
``adb connect`` and ``adb disconnect`` of a phone on Wi-Fi/TCP.

The dashboard, the API and the device watcher all come here, so the timeouts, the audit entries
and the thumbnail files are the same whoever asks. Connects and disconnects are done by a person
and audited (``user``/``actor``/``request`` go to ``core.audit.record``); screenshots only read.
A phone or adb server that cannot do it raises :class:`PhoneActionError`: the API answers it as
50001 ``phone problem: …``, a page shows its reason.

Thumbnails live at ``MEDIA_ROOT/screens/<serial>.png`` (the serial made file-safe), scaled down
to ``THUMBNAIL_WIDTH``; the phone's row notes the file and when it was taken. The grid only
checks whether the file exists; the watcher refreshes it about once a minute and the device
page's "fresh screenshot" button at once.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image

from core.audit import record
from core.errors import Code, DomainError
from devices import adb
from devices.models import Device

# Seconds of silence from the phone before giving up (a full-screen PNG takes a moment).
SCREENSHOT_TIMEOUT = 15.0
# `adb connect` waits for the phone's TCP handshake; an address nobody answers fails after this.
CONNECT_TIMEOUT = 10.0
THUMBNAIL_WIDTH = 270  # pixels; the grid shows them at about this size
DEFAULT_TCP_PORT = 5555  # adb's, when an address names none
# host[:port]: a dotted IPv4 address or host name (letters, digits, dots, hyphens), or [IPv6].
ADDRESS = re.compile(
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,251}[A-Za-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?"
)

log = logging.getLogger(__name__)


class PhoneActionError(DomainError):
    """The phone or the adb server could not do it; ``reason`` says why, for the operator."""

    code = Code.INTERNAL

    def __init__(self, reason: str) -> None:
        super().__init__(f"phone problem: {reason}")
        self.reason = reason


@contextlib.contextmanager
def _phone_problems() -> Iterator[None]:
    try:
        yield
    except adb.DeviceError as exc:
        raise PhoneActionError(str(exc)) from exc


# -- screenshots and thumbnails -----------------------------------------------------------------


def screenshot(serial: str, link: adb.PhoneLink | None = None) -> bytes:
    """The phone's screen now, as PNG bytes (through ``link`` when the caller holds one)."""
    with _phone_problems():
        link = link or adb.open_device(serial, timeout=SCREENSHOT_TIMEOUT)
        return link.screenshot_png(timeout=SCREENSHOT_TIMEOUT)


def take_thumbnail(serial: str, link: adb.PhoneLink | None = None) -> Path:
    """Take a screenshot now and keep it, scaled down, as the phone's thumbnail."""
    png = scale_png(screenshot(serial, link), THUMBNAIL_WIDTH)
    path = thumbnail_path(serial)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so the grid never serves half a file. The temporary name is this
    # thread's own: the watcher and a "fresh screenshot" click may write the same phone at once.
    partial = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    partial.write_bytes(png)
    partial.replace(path)
    name = path.relative_to(settings.MEDIA_ROOT).as_posix()
    Device.objects.filter(serial=serial).update(thumbnail=name, thumbnail_at=timezone.now())
    return path


def thumbnail_path(serial: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", serial)
    return Path(settings.MEDIA_ROOT) / "screens" / f"{safe}.png"


def scale_png(png: bytes, width: int) -> bytes:
    """A PNG at most ``width`` pixels wide, keeping the aspect ratio."""
    with Image.open(io.BytesIO(png)) as image:
        image.thumbnail((width, width * 10), Image.Resampling.BILINEAR)
        out = io.BytesIO()
        image.save(out, format="PNG")
    return out.getvalue()


# -- phones on Wi-Fi/TCP ------------------------------------------------------------------------


# Said of every connect that found no phone, whatever adb said: a refused port, a silent one, a
# non-adb service or an unknown host all read the same, so the form is no port scanner.
NO_PHONE_THERE = (
    "no phone answered at {address}; check the address and port, that the phone is on this "
    "network and that wireless debugging is on"
)


def clean_address(raw: object) -> str:
    """``host:port`` of a phone on Wi-Fi/TCP, as the dashboard form and the API both accept
    it: an IPv4 address, ``[IPv6]`` or host name, and a port (adb's 5555 when none is given).
    Raises Django's ValidationError with the message for the person."""
    text = raw.strip() if isinstance(raw, str) else ""
    match = ADDRESS.fullmatch(text)
    port = int(match["port"] or DEFAULT_TCP_PORT) if match else 0
    if not 1 <= port <= 65535:
        raise ValidationError(
            _("Write it as IP:port, for example 192.168.1.50:5555."), code="invalid"
        )
    return f"{match['host']}:{port}"


def connect(address: str, *, user=None, actor: str | None = None, request=None) -> str:
    """``adb connect host:port``; returns the adb server's message. The watcher then lists the
    phone (it may show as unauthorized until someone accepts the prompt on its screen).

    A connect that finds no phone says only that (:data:`NO_PHONE_THERE`; adb's own reason goes
    to the server log) and leaves no half-open entry in the adb server's list. The adb server
    being down, or a phone asking for USB-debugging approval, are said as they are."""
    try:
        message = adb.Adb(timeout=CONNECT_TIMEOUT).connect(address)
    except (adb.AdbServerDown, adb.DeviceUnauthorized) as exc:
        raise PhoneActionError(str(exc)) from exc
    except adb.DeviceError as exc:
        log.info("adb connect %s found no phone: %s", address, exc)
        with contextlib.suppress(adb.DeviceError):  # adb would keep retrying an open port
            adb.Adb(timeout=CONNECT_TIMEOUT).disconnect(address)
        raise PhoneActionError(NO_PHONE_THERE.format(address=address)) from exc
    _record("device.connect", address, {"message": message}, user, actor, request)
    return message


def disconnect(address: str, *, user=None, actor: str | None = None, request=None) -> bool:
    """``adb disconnect host:port``; False when the adb server did not know the address."""
    with _phone_problems():
        known = adb.Adb(timeout=CONNECT_TIMEOUT).disconnect(address)
    _record("device.disconnect", address, {"was_connected": known}, user, actor, request)
    return known


def _record(action: str, address: str, detail: dict, user, actor, request) -> None:
    # By address: a phone being connected may have no Device row yet.
    record(
        action,
        user=user,
        actor=actor,
        object_type="device",
        object_id=address,
        detail=detail,
        request=request,
    )
