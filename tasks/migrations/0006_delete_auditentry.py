"""AuditEntry moved to the core app (see core/migrations/0001_initial.py): state only, the
table was renamed there."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ('tasks', '0005_task_list_and_chart_indexes'),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEntry")],
        ),
    ]
