"""The Celery app. Queues: ``ingest`` (file uploads), ``evaluate`` (rule engine), ``alerts``
(deliveries). With no broker configured, tasks run eagerly in the process that queues them."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coldchain.settings")

app = Celery("coldchain")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
