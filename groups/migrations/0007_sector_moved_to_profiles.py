"""Sector moved down into profiles (same table): only the migration state changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0006_qa_admin_proxies"),
        ("profiles", "0005_sector_block_notification_scope"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="group",
                    name="sector",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="groups",
                        to="profiles.sector",
                        verbose_name="sector",
                    ),
                ),
                migrations.DeleteModel(name="Sector"),
            ],
        ),
    ]
