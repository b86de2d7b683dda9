from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "playbooks"
    verbose_name = "Playbooks"

    def ready(self) -> None:
        # A crisis opens its incident once its alert is committed (if the brand says so):
        # playbooks listens to monitoring's routing, never the other way round.
        from monitoring.services.routing import alert_listener_add
        from playbooks.services import incident_on_alert_change

        alert_listener_add(incident_on_alert_change)
