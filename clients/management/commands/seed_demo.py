"""Create the demo agency: two brands with a week of mentions (Acme with a live wave and its
alert) and a login for every role; Acme's day desk, with the staff member taking the next
twelve hours so that the crisis pages them, and their phone subscribed to Web Push at the demo's
local push capture (bin/push_capture.py). Acme's response is set up before its wave (office
hours and holidays, employees, ambassadors: playbooks.demo), and its own accounts on Instagram,
X and Facebook may send: the platforms' stand-in (bin/platform_standin.py) knows them from
var/platforms/accounts.json, written here. Safe to run again."""

import base64
import json
import os
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from agency.models import ContactMethod, Role, Schedule, ScheduleOverride, ShiftRole, User
from agency.notifications import contact_method_add, contact_method_verify, verify_token
from agency.roster import schedule_create, schedule_layer_add, schedule_override_add
from agency.services import membership_grant
from clients import tenancy
from clients.models import Client
from clients.services import client_onboard
from monitoring.demo import demo_monitoring_seed
from monitoring.services.escalation import escalation_policy_update
from playbooks.demo import demo_accounts_seed, demo_response_seed

# name, slug, time zone, language
BRANDS = [
    ("Acme Coffee", "acme", "Europe/Amsterdam", "nl"),
    ("Nordlys Outdoor", "nordlys", "Europe/Stockholm", "sv"),
]
DEMO_DOMAIN = "stormdesk.localhost"
# The demo phone's push endpoint (bin/push_capture.py; bin/demo starts it).
PUSH_CAPTURE = os.environ.get("DEMO_PUSH_URL", "http://127.0.0.1:8026/push/staff")
# Acme's name on the platforms (its Instagram and X accounts).
ACME_HANDLE = "acmecoffee"


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
        rows = self._logins(clients, options["password"])
        # The people, their roster and their phone first: Acme's crisis pages them at once.
        self._roster(clients["acme"])
        self._phone()
        with tenancy.tenant_context(clients["acme"]):
            # Short waits, so that the demo shows the escalation within minutes.
            escalation_policy_update(
                client=clients["acme"],
                acting_user=None,
                steps=[("on_duty", 2), ("backup", 2), ("account_manager", 5), ("duty_manager", 5)],
                repeat=1,
                watch_waits_for_morning=False,
            )
        manager = User.objects.get(email=f"manager@{DEMO_DOMAIN}")
        accounts: list[dict[str, Any]] = []
        for slug, brand in clients.items():
            with tenancy.tenant_context(brand):
                if slug == "acme":
                    # Before the wave: its incident's playbook is chosen by these settings,
                    # and its fans' posts carry the ambassador flag.
                    for line in demo_response_seed(client=brand, acting_user=manager):
                        self.stdout.write(f"{brand.name}: {line}")
                stored = demo_monitoring_seed(client=brand, wave=slug == "acme")
                if slug == "acme":
                    accounts += demo_accounts_seed(client=brand, handle=ACME_HANDLE)
            if stored:
                self.stdout.write(f"{brand.name}: {stored} demo mentions")
        self._platforms(accounts)
        self.stdout.write(f"Demo logins (password: {options['password']}):")
        for email, label, scope in rows:
            self.stdout.write(f"  {email:<36} {label:<16} {scope}")
        for client in clients.values():
            self.stdout.write(f"  brand {client.name}: {client.get_absolute_url()}")

    def _logins(self, clients: dict[str, Client], password: str) -> list[tuple[str, str, str]]:
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
                    password,
                    is_staff=role == Role.AGENCY_ADMIN,
                    is_superuser=role == Role.AGENCY_ADMIN,
                )
            client = clients[brand_slug] if brand_slug else None
            membership_grant(user=user, role=role, client=client)
            rows.append((email, str(role.label), client.name if client else "all brands"))
        return rows

    def _roster(self, acme: Client) -> None:
        """Acme's day desk (staff on weekdays from 08:00 to 20:00, the manager as backup);
        nobody at night, at weekends or on Nordlys: the desk and the coverage board show those
        gaps. For the demo's crisis, the staff member takes the next twelve hours (an
        override), whenever the demo runs."""
        if Schedule.objects.filter(name="Acme day desk").exists():
            desk = Schedule.objects.get(name="Acme day desk")
            self._tonight(desk)
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
        self._tonight(desk)

    def _tonight(self, desk: Schedule) -> None:
        now = timezone.now()
        if ScheduleOverride.objects.filter(
            schedule=desk, end__gt=now + timedelta(hours=1)
        ).exists():
            return
        staff = User.objects.get(email=f"staff@{DEMO_DOMAIN}")
        schedule_override_add(
            schedule=desk,
            user=staff,
            start=now - timedelta(minutes=5),
            end=now + timedelta(hours=12),
            reason="Demo: the staff member takes the next twelve hours",
            acting_user=None,
        )
        self.stdout.write("Acme day desk: staff on duty for the next 12 hours (an override)")

    def _phone(self) -> None:
        """The staff member's phone, subscribed to Web Push (and verified) at the local push
        capture, which decrypts what arrives with the keys written to var/push/phone.json; and
        their work mail. A crisis reaches both at once."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        staff = User.objects.get(email=f"staff@{DEMO_DOMAIN}")
        if ContactMethod.objects.filter(user=staff, kind="push").exists():
            return
        key = ec.generate_private_key(ec.SECP256R1())
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        auth = os.urandom(16)

        def b64(raw: bytes) -> str:
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        folder = Path(getattr(settings, "DEMO_PUSH_DIR", Path(settings.BASE_DIR) / "var" / "push"))
        folder.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        (folder / "phone.json").write_text(json.dumps({"private_key": pem, "auth": b64(auth)}))
        method = contact_method_add(
            user=staff,
            kind="push",
            target={"endpoint": PUSH_CAPTURE, "keys": {"p256dh": b64(public), "auth": b64(auth)}},
            label="Demo phone",
        )
        contact_method_verify(token=verify_token(method))
        mail = contact_method_add(user=staff, kind="email", target=staff.email, label="Work mail")
        contact_method_verify(token=verify_token(mail))
        self.stdout.write(f"staff@{DEMO_DOMAIN}: Web Push to the demo phone at {PUSH_CAPTURE}")

    def _platforms(self, accounts: list[dict[str, Any]]) -> None:
        """What the platforms' stand-in knows: the brands' accounts with their tokens, as the
        platforms that issued them would (readable by this user only)."""
        folder = Path(
            getattr(settings, "DEMO_PLATFORMS_DIR", Path(settings.BASE_DIR) / "var" / "platforms")
        )
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "accounts.json"
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(json.dumps({"accounts": accounts}, indent=2) + "\n")
        names = ", ".join(sorted({f"{a['brand']} on {a['platform']}" for a in accounts}))
        self.stdout.write(f"Platform accounts ({names}) for the stand-in in {path}")
