"""``manage.py unlock_signins [--username NAME …] [--address IP …] [--all]``: lift sign-in locks.

The owner's team page does the same; this is for when no owner can sign in (every owner's name
locked, or the farm PC's own address). Each unlock is recorded in the audit log.
"""

import ipaddress

from django.core.management.base import BaseCommand, CommandError

from team import signins


class Command(BaseCommand):
    help = "Unlock sign-ins locked by too many failures (list them with no arguments)."

    def add_arguments(self, parser):
        parser.add_argument("--username", action="append", default=[], help="a locked username")
        parser.add_argument("--address", action="append", default=[], help="a locked address")
        parser.add_argument("--all", action="store_true", help="every current lock")

    def handle(self, *args, username, address, all, **options):
        targets = [(signins.USERNAME, name) for name in username]
        targets += [(signins.ADDRESS, _address(a)) for a in address]
        if all:
            targets += [(lock.kind, lock.value) for lock in signins.current_locks()]
        if not targets:
            self._list()
            return
        for kind, value in targets:
            count = signins.unlock(kind, value, actor="manage.py")
            self.stdout.write(f"unlocked {kind} {value} ({count} attempt records forgotten)")

    def _list(self) -> None:
        locks = signins.current_locks()
        for lock in locks:
            self.stdout.write(
                f"{lock.kind} {lock.value}: {lock.failures} failures, until {lock.until:%H:%M %Z}"
            )
        if not locks:
            self.stdout.write("no sign-in is locked")


def _address(raw: str) -> str:
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise CommandError(f"{raw!r} is not an IP address") from None
