"""The Celery app. Brand tasks subclass clients.tenancy.TenantTask and carry `schema_name`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings")

app = Celery("stormdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
