"""AuditEntry, Licence and ApiToken move here from tasks, devices and team (the layout issue).

The rows stay where they are: the models are taken over in Django's state only, then their
tables are renamed to this app's names. The old apps drop the models from their state in a
migration that depends on this one, so upgraded and fresh databases end up the same.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The migrations that created the tables being taken over.
        ("devices", "0002_device_thumbnail"),
        ("tasks", "0005_task_list_and_chart_indexes"),
        ("team", "0002_role_groups"),
    ]

    state_operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(blank=True, help_text='What this token is for.', max_length=100)),
                ('prefix', models.CharField(editable=False, max_length=12)),
                ('key_hash', models.CharField(editable=False, max_length=64, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'API token',
                'db_table': 'team_apitoken',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('actor', models.CharField(max_length=150)),
                ('action', models.CharField(db_index=True, max_length=50)),
                ('object_type', models.CharField(blank=True, max_length=50)),
                ('object_id', models.CharField(blank=True, max_length=100)),
                ('detail', models.JSONField(blank=True, default=dict)),
                ('ip', models.GenericIPAddressField(blank=True, null=True)),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name_plural': 'audit entries',
                'db_table': 'tasks_auditentry',
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Licence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.TextField(blank=True, verbose_name='licence key')),
                ('is_trial', models.BooleanField(default=False)),
                ('plan', models.CharField(max_length=20, verbose_name='plan')),
                ('device_limit', models.PositiveIntegerField(verbose_name='device limit')),
                ('licensee', models.CharField(blank=True, max_length=200, verbose_name='licensee')),
                ('expires_at', models.DateTimeField(verbose_name='expires')),
                ('installed_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('installed_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-installed_at'],
                'db_table': 'devices_licence',
                'constraints': [models.UniqueConstraint(condition=models.Q(('is_trial', True)), fields=('is_trial',), name='licence_single_trial')],
            },
        ),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=state_operations),
        # Now rename the tables to this app's default names.
        migrations.AlterModelTable(name="apitoken", table=None),
        migrations.AlterModelTable(name="auditentry", table=None),
        migrations.AlterModelTable(name="licence", table=None),
    ]
