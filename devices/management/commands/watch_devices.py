"""`manage.py watch_devices`: keep Device rows in step with the adb server (started by `serve`)."""

from __future__ import annotations

import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from core.supervision import die_with_supervisor
from devices.watcher import DeviceWatcher


class Command(BaseCommand):
    help = "Follow the adb server's device list and keep Device rows up to date."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--refresh-interval",
            type=float,
            default=60.0,
            help="seconds between battery/thumbnail refreshes of each online phone (default 60)",
        )
        parser.add_argument(
            "--no-start-server",
            action="store_true",
            help="never start a local adb server; wait for one instead "
            "(also ADB_SERVER_AUTOSTART=0)",
        )

    def handle(self, *args, refresh_interval: float, no_start_server: bool, **options) -> None:
        die_with_supervisor()
        watcher = DeviceWatcher(
            start_server=settings.ADB_SERVER_AUTOSTART and not no_start_server,
            refresh_interval=refresh_interval,
        )
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: watcher.stop())
        watcher.run()
