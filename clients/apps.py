from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = "Client brands"

    def ready(self) -> None:
        from clients import tenancy

        tenancy.connect_worker_signals()
