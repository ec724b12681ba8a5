"""Triggers that refuse UPDATE and DELETE on the audit table (see amtsweg/audit/triggers.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from amtsweg.audit import triggers

    triggers.install(schema_editor)


def remove(apps, schema_editor):
    from amtsweg.audit import triggers

    triggers.remove(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install, remove, elidable=False),
    ]
