"""Block moved down into profiles (same table); connections keeps a proxy with the actions
that end connections, requests and suggestions. Only the migration state changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0002_suggestion_fk_without_db_constraint"),
        ("profiles", "0005_sector_block_notification_scope"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Block")],
        ),
        migrations.CreateModel(
            name="Block",
            fields=[],
            options={
                "verbose_name": "block",
                "verbose_name_plural": "blocks",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("profiles.block",),
        ),
    ]
