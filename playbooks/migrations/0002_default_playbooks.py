"""Brands onboarded before playbooks get the defaults in their language (new brands get the
agency's templates at onboarding; the template schema gets none, so clones start empty)."""

from django.conf import settings
from django.db import migrations


def install(apps, schema_editor):
    from playbooks.defaults import TEMPLATES, rows

    schema = schema_editor.connection.schema_name
    if schema in ("public", getattr(settings, "TENANT_BASE_SCHEMA", "")):
        return
    Playbook = apps.get_model("playbooks", "Playbook")
    Step = apps.get_model("playbooks", "PlaybookStep")
    if Playbook.objects.exists():
        return
    Client = apps.get_model("clients", "Client")
    brand = Client.objects.filter(schema_name=schema).first()
    language = brand.language if brand is not None else "en"
    for default in TEMPLATES:
        name, steps = rows(default, language)
        playbook = Playbook.objects.create(
            name=name,
            language=language if language in ("en", "nl", "sv") else "en",
            origin=default.origin,
            level=default.level,
            timing=default.timing,
            platform=default.platform,
            template_key=default.key,
        )
        Step.objects.bulk_create(Step(playbook=playbook, **vars(step)) for step in steps)


class Migration(migrations.Migration):
    dependencies = [("playbooks", "0001_initial"), ("clients", "0002_account_manager")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
