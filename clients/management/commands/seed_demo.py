"""Create the demo agency: two brands with a week of mentions (Acme with a live wave and its
alert) and a login for every role. Safe to run again."""

from datetime import date, time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from agency.models import Role, Schedule, ShiftRole, User
from agency.roster import schedule_create, schedule_layer_add
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
        self._roster(clients["acme"])
        self.stdout.write(f"Demo logins (password: {options['password']}):")
        for email, label, scope in rows:
            self.stdout.write(f"  {email:<36} {label:<16} {scope}")
        for client in clients.values():
            self.stdout.write(f"  brand {client.name}: {client.get_absolute_url()}")

    def _roster(self, acme: Client) -> None:
        """Acme's day desk (staff on weekdays from 08:00 to 20:00, the manager as backup);
        nobody at night, at weekends or on Nordlys: the desk shows those brands red."""
        if Schedule.objects.filter(name="Acme day desk").exists():
            return
        staff = User.objects.get(email=f"staff@{DEMO_DOMAIN}")
        manager = User.objects.get(email=f"manager@{DEMO_DOMAIN}")
        desk = schedule_create(name="Acme day desk", brands=[acme], acting_user=None)
        weekdays = [{"weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "20:00"}]
        for people, role in (([staff], ShiftRole.PRIMARY), ([manager], ShiftRole.BACKUP)):
            schedule_layer_add(
                schedule=desk,
                people=people,
                role=role,
                starts_on=date(2026, 1, 5),
                hand_off=time(8),
                windows=weekdays,
                acting_user=None,
            )
        self.stdout.write("Acme day desk: staff on weekdays 08:00-20:00, the manager as backup")
