"""PostgreSQL full-text search for posts: unaccent, the "gilda_italian" configuration (Italian
with accents folded) and a GIN index on the stored vector. Nothing to do on SQLite, whose
search falls back to substring matching."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'gilda_italian') THEN
        CREATE TEXT SEARCH CONFIGURATION gilda_italian (COPY = pg_catalog.italian);
        ALTER TEXT SEARCH CONFIGURATION gilda_italian
          ALTER MAPPING FOR hword, hword_part, word WITH unaccent, italian_stem;
      END IF;
    END $$
    """,
    "CREATE INDEX IF NOT EXISTS post_search_gin ON groups_post USING gin (search_vector)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS post_search_gin",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS gilda_italian",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in FORWARD:
            cursor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in BACKWARD:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("groups", "0004_qa_posts_votes_comments")]

    operations = [migrations.RunPython(forward, backward)]
