"""The five care flags every community starts with (the admin adds more)."""

from django.db import migrations

DEFAULTS = [
    ("独居老人", 7, 3),
    ("残疾", 14, 7),
    ("低保", 30, 7),
    ("新搬迁", 14, 7),
    ("留守儿童", 14, 7),
]


def add(apps, schema_editor):
    Kind = apps.get_model("patrols", "CareFlagKind")
    for order, (name, days, escalate) in enumerate(DEFAULTS):
        Kind.objects.get_or_create(name=name, defaults={
            "visit_days": days, "escalate_days": escalate, "order": order})


class Migration(migrations.Migration):
    dependencies = [("patrols", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
