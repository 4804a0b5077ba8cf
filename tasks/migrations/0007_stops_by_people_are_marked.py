"""A person's stop is recorded in ``stop_requested_at``/``_by`` and nowhere else: the automatic
retry used to also look for a remark starting with "stopped by". Mark any stopped task that
lacks the fields (from its remark), so an upgraded install still never retries those."""

from django.db import migrations
from django.db.models.functions import Coalesce, Substr

PREFIX = "stopped by "
FAILED = 3


def mark_stopped_tasks(apps, schema_editor):
    Task = apps.get_model("tasks", "Task")
    Task.objects.filter(
        status=FAILED, stop_requested_at__isnull=True, remark__startswith=PREFIX
    ).update(
        stop_requested_at=Coalesce("ended_at", "updated_at"),
        stop_requested_by=Substr("remark", len(PREFIX) + 1, 150),
    )


class Migration(migrations.Migration):
    dependencies = [("tasks", "0006_delete_auditentry")]

    operations = [migrations.RunPython(mark_stopped_tasks, migrations.RunPython.noop)]
