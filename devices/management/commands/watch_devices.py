import logging
import signal
import time

from django.core.management.base import BaseCommand

log = logging.getLogger("devices.watcher")


class Command(BaseCommand):
    help = "Follow the adb server's device list and keep Device rows up to date."

    def handle(self, *args, **options):
        # Placeholder until the device layer lands: it idles so `serve` has its three children.
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("device watcher started (discovery arrives with the device layer)")
        while not stopping:
            time.sleep(0.2)
