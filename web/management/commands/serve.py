from django.core.management.base import BaseCommand, CommandError

from web.processes import PROCESSES, AlreadyRunning, Supervisor


class Command(BaseCommand):
    help = (
        "Run this farm host: the web server, the worker cluster and the device watcher. "
        "Ctrl-C or SIGTERM stops them all."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            default=",".join(PROCESSES),
            help=f"comma-separated subset of {list(PROCESSES)}",
        )
        parser.add_argument("--grace", type=float, default=15.0, help="seconds before SIGKILL")

    def handle(self, *args, only, grace, **options):
        names = [n.strip() for n in only.split(",") if n.strip()]
        unknown = set(names) - set(PROCESSES)
        if unknown or not names:
            raise CommandError(f"--only takes names from {list(PROCESSES)}")
        try:
            Supervisor(names, grace=grace).run()
        except AlreadyRunning as exc:
            raise CommandError(str(exc)) from None
