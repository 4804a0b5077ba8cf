"""`manage.py simulate_phones --count N`: run simulated phones, connected to our adb server."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from devices.adb import Adb, DeviceError
from phonesim import Farm
from phonesim.cli import add_phone_arguments, start_phones


class Command(BaseCommand):
    help = "Start simulated Android phones and `adb connect` them; stop with Ctrl+C."
    # Needs neither the database nor URLs: it must run even while the web side is broken.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        # The same phone options as `python -m phonesim` (which needs no Django).
        add_phone_arguments(parser)

    def handle(self, *args, count: int, base_port: int | None, model: str, **options) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1")
        adb = Adb()
        try:
            adb.server.ensure_running()
        except DeviceError as exc:
            raise CommandError(str(exc)) from exc
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        with Farm() as farm:
            try:
                phones = start_phones(farm, count, base_port, model, options["unauthorized"])
            except OSError as exc:
                raise CommandError(f"cannot listen on the requested ports: {exc}") from exc
            self._connect_all(adb, phones)
            self.stdout.write(
                f"{len(phones)} phones on adb server {adb.server.where}; Ctrl+C stops"
            )
            stop.wait()
            for phone in phones:
                adb.disconnect(phone.serial)
        self.stdout.write("phones disconnected")

    def _connect_all(self, adb: Adb, phones) -> None:
        for phone in phones:
            try:
                adb.connect(phone.serial)
                self.stdout.write(f"  {phone.serial}  {phone.props['ro.product.model']}")
            except DeviceError as exc:
                self.stderr.write(f"  {exc}")
