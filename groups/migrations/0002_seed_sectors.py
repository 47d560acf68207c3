from django.db import migrations
from django.utils.text import slugify

SECTORS = [
    ("Social media & marketing", "Social media & marketing"),
    ("Scrittura ed editoria", "Writing & publishing"),
    ("Design", "Design"),
    ("Sviluppo software", "Software development"),
    ("Acconciatura ed estetica", "Hairdressing & beauty"),
    ("Ristorazione", "Food & hospitality"),
    ("Turismo", "Tourism"),
    ("Legale", "Legal"),
    ("Contabilità e fisco", "Accounting & tax"),
    ("Sanità", "Healthcare"),
    ("Edilizia", "Construction"),
    ("Formazione", "Education & training"),
    ("Fotografia e video", "Photography & video"),
    ("Commercio e retail", "Retail"),
    ("Risorse umane", "Human resources"),
    ("Architettura", "Architecture"),
]


def seed(apps, schema_editor):
    Sector = apps.get_model("groups", "Sector")
    for position, (name, name_en) in enumerate(SECTORS):
        Sector.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "name_en": name_en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("groups", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
