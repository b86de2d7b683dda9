"""The demo's response side, for `seed_demo`: what a brand sets up before its first crisis, so
that Acme's live one can be handled end to end.

- Its response settings: office hours and the public holidays of its country, which decide
  the timing its playbook is chosen by ("night + Instagram origin + crisis -> Night crisis").
- Its employees (with the language each reads), to send the notice to.
- Its ambassadors: the loyal fans who speak up in the demo's wave (monitoring.demo.FANS), with
  their accounts, so that the incident's panel shows who spoke and what they said.
- Its own accounts on Instagram, X and Facebook with what each platform's sender needs
  (playbooks.senders: a token that may write, the ids and names the permalinks take), so that
  the desk's holding reply goes out through the platform's API: in the demo, the local
  stand-in of those APIs (bin/platform_standin.py), which knows the accounts from the file
  seed_demo writes with `platform_accounts`.

Everything through the production services, in the brand's schema (asserted by them). Safe to
run again: settings already set, known employees, ambassadors already on the list and accounts
that have their credentials are left as they are.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import time
from typing import TYPE_CHECKING, Any

from monitoring.demo import FANS
from monitoring.models import Source, SourceKind
from monitoring.services.sources import source_create, source_credentials, source_update
from playbooks.ambassadors import ambassador_add
from playbooks.models import Ambassador
from playbooks.notices import employees_import
from playbooks.selectors import response_settings_get
from playbooks.senders import SENDERS
from playbooks.services import response_settings_update

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client

OFFICE_HOURS = (time(8, 30), time(17, 30))
# Public holidays (and the days the country treats as such) of 2026 and 2027.
HOLIDAYS = {
    "nl": [
        "2026-01-01",
        "2026-04-06",
        "2026-04-27",
        "2026-05-14",
        "2026-05-25",
        "2026-12-25",
        "2026-12-26",
        "2027-01-01",
        "2027-03-29",
        "2027-04-27",
        "2027-05-06",
        "2027-05-17",
        "2027-12-25",
        "2027-12-26",
    ],
    "sv": [
        "2026-01-01",
        "2026-01-06",
        "2026-04-03",
        "2026-04-06",
        "2026-05-01",
        "2026-05-14",
        "2026-06-06",
        "2026-06-19",
        "2026-12-24",
        "2026-12-25",
        "2026-12-26",
        "2026-12-31",
        "2027-01-01",
        "2027-01-06",
        "2027-03-26",
        "2027-03-29",
        "2027-05-06",
        "2027-06-25",
        "2027-12-24",
        "2027-12-31",
    ],
}
# Acme's people, as its HR exports them: most read Dutch, the buyer English, a roaster Swedish.
EMPLOYEES_CSV = b"""email,name,department,language
anouk.visser@acmecoffee.example,Anouk Visser,Communicatie,nl
daan.smit@acmecoffee.example,Daan Smit,Klantenservice,nl
fatima.elamrani@acmecoffee.example,Fatima El Amrani,Winkels Amsterdam,nl
lotte.mulder@acmecoffee.example,Lotte Mulder,HR,nl
james.oconnor@acmecoffee.example,James O'Connor,Inkoop,en
erik.lindqvist@acmecoffee.example,Erik Lindqvist,Branderij,sv
"""


def demo_response_seed(*, client: Client, acting_user: User) -> list[str]:
    """The brand's response settings, employees and ambassadors (see the module docstring);
    returns what it did, in lines for the command's output. Run before the brand's wave, so
    that its incident's playbook is chosen by these settings and its fans' posts carry the
    ambassador flag."""
    said = []
    starts, ends = OFFICE_HOURS
    holidays = HOLIDAYS.get(client.language, [])
    before = response_settings_get(client=client)
    if (before.office_starts, before.office_ends, before.holidays) != (starts, ends, holidays):
        response_settings_update(
            client=client,
            acting_user=acting_user,
            office_starts=starts,
            office_ends=ends,
            holidays=holidays,
        )
        said.append(
            f"office hours {starts:%H:%M}-{ends:%H:%M} ({client.timezone}), "
            f"{len(holidays)} public holidays"
        )
    report = employees_import(client=client, data=EMPLOYEES_CSV, acting_user=acting_user)
    if report.errors:  # the file is ours: a bad row is a bug in the demo
        raise ValueError(f"demo employees: {report.errors}")
    if report.created:
        said.append(f"{report.created} employees")
    for fan in FANS:
        if Ambassador.objects.filter(name=fan.name, is_active=True).exists():
            continue
        ambassador_add(
            client=client,
            name=fan.name,
            accounts=[(fan.platform, fan.handle), *fan.other_accounts],
            email=fan.email,
            note="A regular who speaks up for the brand (demo).",
            acting_user=acting_user,
        )
        said.append(f"ambassador {fan.name} (@{fan.handle} on {fan.platform})")
    return said


def _number(seed: str, digits: int) -> str:
    value = int(hashlib.sha256(seed.encode()).hexdigest(), 16)
    return f"{value % 10**digits:0{digits}d}"


def _accounts_wanted(client: Client, handle: str) -> list[dict[str, Any]]:
    """The brand's own accounts: (platform, source name, settings, the credential to issue)."""
    return [
        {
            "platform": "instagram",
            "name": f"{client.name} on Instagram",
            "settings": {
                "account_id": "17841" + _number(f"{client.slug}:instagram", 12),
                "username": handle,
            },
            "token": lambda: "IGQ" + secrets.token_urlsafe(48),
        },
        {
            "platform": "x",
            "name": f"{client.name} on X (@{handle})",
            "settings": {"username": handle},
            "token": lambda: secrets.token_urlsafe(48),
        },
        {
            "platform": "facebook",
            "name": f"{client.name} on Facebook",
            "settings": {"page_id": "1045" + _number(f"{client.slug}:facebook", 11)},
            "token": lambda: "EAAG" + secrets.token_urlsafe(64),
        },
    ]


def demo_accounts_seed(*, client: Client, handle: str) -> list[dict[str, Any]]:
    """The brand's own accounts on Instagram, X and Facebook as owned-account sources that may
    send (the Instagram one from monitoring's demo gets its credentials; the others are new,
    and none is polled: replies go out, nothing is read), each checked against its sender's
    `missing` for replies and own posts. Returns the accounts as the platforms know them (the
    stand-in's accounts file). A source that has a token keeps it."""
    accounts = []
    for wanted in _accounts_wanted(client, handle):
        platform = wanted["platform"]
        source = (
            Source.objects.filter(platform=platform, kind=SourceKind.OWNED).order_by("pk").first()
        )
        if source is None:
            source = source_create(
                client=client,
                acting_user=None,
                name=wanted["name"],
                platform=platform,
                kind=SourceKind.OWNED,
                settings=wanted["settings"],
                credentials={"access_token": wanted["token"]()},
            )
        else:
            settings = {**wanted["settings"], **source.settings}
            credentials = source_credentials(source=source)
            issued = {} if credentials.get("access_token") else {"access_token": wanted["token"]()}
            if settings != source.settings or issued:
                source = source_update(
                    client=client,
                    source=source,
                    acting_user=None,
                    settings=settings,
                    credentials=issued or None,
                )
        credentials = source_credentials(source=source)
        sender = SENDERS[platform]()
        kinds = ("reply", "post") if not sender.no_posts else ("reply",)
        for kind in kinds:
            if lacking := sender.missing(source.settings, credentials, kind):
                raise ValueError(f"demo account on {platform} cannot send a {kind}: {lacking}")
        accounts.append(
            {
                "platform": platform,
                "brand": client.slug,
                "source": source.name,
                **source.settings,
                "access_token": credentials["access_token"],
            }
        )
    return accounts
