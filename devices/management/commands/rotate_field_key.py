from django.core.management.base import BaseCommand
from django.db import transaction

from core.audit import record
from devices.models import Account


class Command(BaseCommand):
    help = (
        "Re-encrypt account secrets under the first FIELD_ENCRYPTION_KEY. Put the new key first, "
        "keep the old one after it, run this, then drop the old key."
    )

    def handle(self, *args, **options):
        rotated = 0
        with transaction.atomic():
            # Loading decrypts with any configured key; saving encrypts with the first one.
            for account in Account.objects.only("pk", "password", "twofa_secret").iterator():
                account.save(update_fields=["password", "twofa_secret"])
                rotated += 1
            record("account.rotate_key", actor="manage.py", detail={"accounts": rotated})
        self.stdout.write(f"re-encrypted the secrets of {rotated} accounts")
