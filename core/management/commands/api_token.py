from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core import audit
from core.models import ApiToken


class Command(BaseCommand):
    help = "Print a new API token for USERNAME (shown once; only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="manage.py", help="what the token is for")

    def handle(self, *args, username, name, **options):
        try:
            user = get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no active user named {username!r}") from None
        token, key = ApiToken.issue(user, name=name)
        audit.record("token.create", actor="manage.py", obj=token, detail={"user": username})
        self.stdout.write(key)
