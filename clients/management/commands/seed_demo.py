"""Create the demo agency: two brands with a week of mentions (Acme with a live wave and its
alert) and a login for every role. Safe to run again."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from agency.models import Role, User
from agency.services import membership_grant
from clients import tenancy
from clients.models import Client
from clients.services import client_onboard
from monitoring.demo import demo_monitoring_seed

# name, slug, time zone, language
BRANDS = [
    ("Acme Coffee", "acme", "Europe/Amsterdam", "nl"),
    ("Nordlys Outdoor", "nordlys", "Europe/Stockholm", "sv"),
]
DEMO_DOMAIN = "stormdesk.localhost"


class Command(BaseCommand):
    help = "Create two demo brands and one login per role (password from --password)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="stormdesk-demo")

    def handle(self, *args: Any, **options: Any) -> None:
        clients = {}
        for name, slug, timezone_name, language in BRANDS:
            clients[slug] = Client.objects.filter(slug=slug).first() or client_onboard(
                name=name, slug=slug, timezone_name=timezone_name, language=language
            )
        for slug, brand in clients.items():
            with tenancy.tenant_context(brand):
                stored = demo_monitoring_seed(client=brand, wave=slug == "acme")
            if stored:
                self.stdout.write(f"{brand.name}: {stored} demo mentions")
        logins: list[tuple[str, Role, str | None]] = [
            ("admin", Role.AGENCY_ADMIN, None),
            ("manager", Role.ACCOUNT_MANAGER, None),
            ("staff", Role.AGENCY_STAFF, "acme"),
            ("acme-viewer", Role.CLIENT_VIEWER, "acme"),
            ("nordlys-viewer", Role.CLIENT_VIEWER, "nordlys"),
        ]
        rows = []
        for local, role, brand_slug in logins:
            email = f"{local}@{DEMO_DOMAIN}"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email,
                    options["password"],
                    is_staff=role == Role.AGENCY_ADMIN,
                    is_superuser=role == Role.AGENCY_ADMIN,
                )
            client = clients[brand_slug] if brand_slug else None
            membership_grant(user=user, role=role, client=client)
            rows.append((email, role.label, client.name if client else "all brands"))
        self.stdout.write(f"Demo logins (password: {options['password']}):")
        for email, label, scope in rows:
            self.stdout.write(f"  {email:<36} {label:<16} {scope}")
        for client in clients.values():
            self.stdout.write(f"  brand {client.name}: {client.get_absolute_url()}")
