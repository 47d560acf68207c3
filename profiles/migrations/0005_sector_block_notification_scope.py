"""Layering: Sector (from groups) and Block (from connections) move down into profiles,
keeping their tables; a notification names what it is about (scope) instead of a group id."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def group_id_to_scope(apps, schema_editor):
    Notification = apps.get_model("profiles", "Notification")
    for pk, group_id in Notification.objects.filter(group_id__isnull=False).values_list(
        "pk", "group_id"
    ):
        Notification.objects.filter(pk=pk).update(scope=f"group:{group_id}")


def scope_to_group_id(apps, schema_editor):
    Notification = apps.get_model("profiles", "Notification")
    for pk, scope in Notification.objects.filter(scope__startswith="group:").values_list(
        "pk", "scope"
    ):
        Notification.objects.filter(pk=pk).update(group_id=int(scope.split(":", 1)[1]))


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0004_profile_fields_skills_experience"),
        ("groups", "0006_qa_admin_proxies"),
        ("connections", "0002_suggestion_fk_without_db_constraint"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Sector",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=80, unique=True, verbose_name="name")),
                        (
                            "name_en",
                            models.CharField(blank=True, max_length=80, verbose_name="English name"),
                        ),
                        ("slug", models.SlugField(max_length=80, unique=True, verbose_name="slug")),
                        (
                            "position",
                            models.PositiveSmallIntegerField(default=0, verbose_name="position"),
                        ),
                    ],
                    options={
                        "verbose_name": "sector",
                        "verbose_name_plural": "sectors",
                        "db_table": "groups_sector",
                        "ordering": ["position", "name"],
                    },
                ),
                migrations.AlterField(
                    model_name="profile",
                    name="sector",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="profiles",
                        to="profiles.sector",
                        verbose_name="main sector",
                    ),
                ),
                migrations.CreateModel(
                    name="Block",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "blocked",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="blocks_received",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "blocker",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="blocks_made",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "block",
                        "verbose_name_plural": "blocks",
                        "db_table": "connections_block",
                        "indexes": [models.Index(fields=["blocked"], name="block_blocked_idx")],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("blocker", "blocked"), name="block_unique"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("blocker", models.F("blocked")), _negated=True),
                                name="block_no_self",
                            ),
                        ],
                    },
                ),
            ],
        ),
        migrations.AddField(
            model_name="notification",
            name="scope",
            field=models.CharField(blank=True, db_index=True, max_length=40),
        ),
        migrations.RunPython(group_id_to_scope, scope_to_group_id),
        migrations.RemoveField(model_name="notification", name="group_id"),
    ]
