"""Looking up phones and accounts for a user: the role first, then the object (else 404).

Every role may read every farm object (the farm is one team's), so the helpers differ only in
the role a caller needs: ``Role.VIEWER`` to look, ``Role.OPERATOR`` to change. A missing object
is a 404 whatever the role, checked after the role so that a viewer cannot probe what exists by
trying to change it.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from core.roles import Role, require_role
from devices.models import Account, Device

# Taking a live screenshot makes the phone work (and may show what is on its screen right now):
# an operator's action on the dashboard and through the API alike. Viewers see the thumbnail
# the watcher keeps.
LIVE_SCREENSHOT = Role.OPERATOR


def device_for(user, serial: str, minimum: Role = Role.VIEWER) -> Device:
    require_role(user, minimum)
    return get_object_or_404(Device, serial=serial)


def account_for(user, pk: int, minimum: Role = Role.VIEWER) -> Account:
    require_role(user, minimum)
    return get_object_or_404(Account.objects.select_related("device"), pk=pk)
