from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve with simulated phones and demo accounts (arrives with the simulator)."

    def handle(self, *args, **options):
        self.stdout.write("make demo: not yet — simulated phones arrive with the simulator issue.")
