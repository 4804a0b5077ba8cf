"""Screenshots and TCP connects from the dashboard, through the device layer (``devices.adb``).

Thumbnails live at ``MEDIA_ROOT/screens/<serial>.png`` (the serial made file-safe). The device
grid only checks whether that file exists; the device watcher may refresh it periodically and the
device page's "fresh screenshot" button replaces it. The device layer is imported lazily so the
dashboard still renders (and says why) when adb is not installed or its module is broken.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _


class PhoneActionError(Exception):
    """The phone or the adb server could not do it; the message is for the operator."""


def thumbnail_path(serial: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", serial)
    return Path(settings.MEDIA_ROOT) / "screens" / f"{safe}.png"


def has_thumbnail(serial: str) -> bool:
    return thumbnail_path(serial).is_file()


def _device_layer():
    try:
        from devices import adb
    except Exception as exc:  # any import failure means the same to the operator
        raise PhoneActionError(
            _("The device layer (adb) is not available on this server: %(error)s") % {"error": exc}
        ) from exc
    return adb


def capture(serial: str) -> Path:
    """Take a screenshot now and store it as the phone's thumbnail."""
    adb = _device_layer()
    try:
        png = adb.Adb().device(serial).screenshot_png(timeout=10)
    except adb.DeviceError as exc:
        raise PhoneActionError(str(exc)) from exc
    path = thumbnail_path(serial)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename so a grid refresh never serves half a file.
    partial = path.with_suffix(".tmp")
    partial.write_bytes(png)
    partial.replace(path)
    return path


def connect(address: str) -> str:
    """`adb connect` a TCP phone; returns adb's message. The watcher then adds the phone."""
    adb = _device_layer()
    try:
        return adb.Adb().connect(address, timeout=10)
    except adb.DeviceError as exc:
        raise PhoneActionError(str(exc)) from exc


def disconnect(address: str) -> bool:
    adb = _device_layer()
    try:
        return adb.Adb().disconnect(address)
    except adb.DeviceError as exc:
        raise PhoneActionError(str(exc)) from exc
