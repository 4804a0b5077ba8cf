"""ApiToken moved to the core app (see core/migrations/0001_initial.py): state only, the
table was renamed there."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ('team', '0002_role_groups'),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
        ),
    ]
