import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from core.supervision import die_with_supervisor
from tasks import scheduling

log = logging.getLogger("tasks.dispatcher")


class Command(BaseCommand):
    help = "Run this farm host's dispatcher: start due tasks on free phones, reap dead ones."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")

    def handle(self, *args, once, **options):
        die_with_supervisor()
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("dispatcher for %s started (queue %s)", settings.FARM_HOST, settings.FARM_QUEUE)
        last_upkeep = 0.0
        while not stopping:
            started = time.monotonic()
            upkeep = started - last_upkeep >= 1.0
            try:
                close_old_connections()
                scheduling.tick(upkeep=upkeep)
                if upkeep:
                    last_upkeep = started
            except Exception:  # keep dispatching; a database hiccup is logged and retried
                log.exception("dispatcher round failed")
            if once:
                return
            time.sleep(max(0.0, settings.DISPATCH_INTERVAL - (time.monotonic() - started)))
