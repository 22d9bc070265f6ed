from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        # alerts subscribes to what shipments announces; shipments never imports alerts.
        from . import receivers  # noqa: F401
