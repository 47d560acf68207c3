from django.db import migrations, models

OFFERED = ["it", "en"]


def fallback(language: str) -> str:
    """The offered language an unoffered one falls back to ("en-gb" → "en"), else Italian."""
    base = language.split("-")[0].lower()
    return base if base in OFFERED else "it"


def offered_languages_only(apps, schema_editor):
    """Before the constraint: a language the switcher once saved without the site offering it
    ("en-gb", "de": it checked only that Django had a catalogue) falls back (fallback())."""
    User = apps.get_model("profiles", "User")
    unoffered = User.objects.exclude(language__in=OFFERED)
    for language in set(unoffered.values_list("language", flat=True)):
        User.objects.filter(language=language).update(language=fallback(language))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("profiles", "0013_report_evidence"),
    ]

    operations = [
        migrations.RunPython(offered_languages_only, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("language__in", OFFERED)), name="user_language_offered"
            ),
        ),
    ]
