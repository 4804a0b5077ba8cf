"""Template helpers for the dashboard: active navigation, phone-state advice, durations."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from devices.actions import thumbnail_path
from devices.models import Device

register = template.Library()

# What the operator should do about a phone in each bad state: the fix, in words.
STATE_FIXES = {
    Device.State.OFFLINE: _(
        "Not answering. Check the USB cable or Wi-Fi; for a TCP phone, connect it again."
    ),
    Device.State.UNAUTHORIZED: _(
        "Unlock the phone and tap “Allow” on the USB debugging prompt (tick “Always allow”)."
    ),
    Device.State.UNKNOWN: _(
        "This host's adb server is not answering; the phone itself may be fine. Its tasks "
        "wait. If it lasts, restart the adb server (adb kill-server, then adb start-server)."
    ),
}


@register.simple_tag(takes_context=True)
def nav_active(context, prefix: str, exact: bool = False) -> SafeString:
    """` class="active" aria-current="page"` on the link of the section being shown."""
    path = context["request"].path
    if path == prefix or (not exact and path.startswith(prefix)):
        return format_html(' class="{}" aria-current="page"', "active")
    return SafeString("")


@register.filter
def state_fix(device: Device) -> str:
    return STATE_FIXES.get(device.state, "")


@register.filter
def duration(start: datetime | None, end: datetime | None) -> str:
    """`started_at|duration:ended_at` → "2 min 5 s"; empty when either end is missing."""
    if not start or not end:
        return ""
    seconds = max(int((end - start).total_seconds()), 0)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%d h", "%d h", hours) % hours)
    if minutes:
        parts.append(ngettext("%d min", "%d min", minutes) % minutes)
    if seconds or not parts:
        parts.append(ngettext("%d s", "%d s", seconds) % seconds)
    return " ".join(parts)


@register.filter
def running_task(device: Device):
    """The task running on a phone, from the grid's prefetch (no query)."""
    running = getattr(device, "running_tasks", None)
    return running[0] if running else None


@register.filter
def thumbnail_url(device: Device) -> str:
    """The phone's screenshot URL (versioned by the file's time), or "" when there is none."""
    try:
        version = int(thumbnail_path(device.serial).stat().st_mtime)
    except OSError:
        return ""
    return f"{reverse('device-thumbnail', args=[device.serial])}?v={version}"
