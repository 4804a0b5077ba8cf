"""Runs have an identity and hold their phone until their worker lets go (issue 12).

"One running task per phone" becomes "one run holding its phone per phone": a stopped task's
script may still be between two taps. Tasks running at the upgrade hold their phone and count as
begun by a worker of the old code, so the reaper settles them like any run whose worker went
quiet (their heartbeat is stale once the upgraded farm restarts).
"""

from django.conf import settings
from django.db import migrations, models

RUNNING = 1


def running_tasks_hold_their_phone(apps, schema_editor):
    Task = apps.get_model("tasks", "Task")
    Task.objects.filter(status=RUNNING).update(phone_held=True, worker="(before the upgrade)")


class Migration(migrations.Migration):

    dependencies = [
        ('devices', '0004_device_state_unknown'),
        ('tasks', '0007_stops_by_people_are_marked'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='task',
            name='task_one_running_per_device',
        ),
        migrations.RemoveIndex(
            model_name='task',
            name='task_running_hb',
        ),
        migrations.AddField(
            model_name='material',
            name='set_aside_reason',
            field=models.CharField(blank=True, max_length=300, verbose_name='set aside because'),
        ),
        migrations.AddField(
            model_name='task',
            name='effect',
            field=models.JSONField(blank=True, editable=False, null=True, verbose_name='unconfirmed action'),
        ),
        migrations.AddField(
            model_name='task',
            name='lost_runs',
            field=models.PositiveSmallIntegerField(default=0, editable=False, verbose_name='lost runs'),
        ),
        migrations.AddField(
            model_name='task',
            name='phone_held',
            field=models.BooleanField(default=False, editable=False, verbose_name='holds its phone'),
        ),
        migrations.AddField(
            model_name='task',
            name='run_id',
            field=models.UUIDField(blank=True, editable=False, null=True, verbose_name='run'),
        ),
        migrations.AddField(
            model_name='task',
            name='worker',
            field=models.CharField(blank=True, editable=False, max_length=150, verbose_name='worker'),
        ),
        migrations.AddField(
            model_name='taskevent',
            name='run_id',
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='task',
            name='wait_reason',
            field=models.CharField(blank=True, choices=[('scheduled', 'scheduled for later'), ('device_busy', 'phone busy with another task'), ('device_offline', 'phone offline'), ('device_unauthorized', 'phone has not allowed USB debugging'), ('adb_server_down', 'adb server not answering'), ('broker_down', 'worker queue unavailable'), ('concurrency_limit', 'licence device limit reached'), ('no_automation_quota', 'licence plan has no automation'), ('account_daily_limit', 'account reached its daily limit'), ('checking_outcome', "checking whether the last run's action went through")], max_length=30, null=True, verbose_name='waiting because'),
        ),
        migrations.RunPython(running_tasks_hold_their_phone, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('phone_held', True)), fields=['heartbeat_at'], name='task_holding_hb'),
        ),
        migrations.AddConstraint(
            model_name='task',
            constraint=models.UniqueConstraint(condition=models.Q(('phone_held', True)), fields=('device',), name='task_one_run_per_device'),
        ),
    ]
