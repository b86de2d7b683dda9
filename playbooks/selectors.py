"""Reads of the brand's response. Every function runs in the brand's schema (asserted)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from clients import tenancy
from playbooks import choice
from playbooks.models import Playbook, ResponseSettings

if TYPE_CHECKING:
    from clients.models import Client


def response_settings_get(*, client: Client) -> ResponseSettings:
    tenancy.require_tenant(client)
    settings, _ = ResponseSettings.objects.get_or_create(singleton=True)
    return settings


def _holidays(settings: ResponseSettings) -> set[date]:
    days = set()
    for text in settings.holidays:
        try:
            days.add(date.fromisoformat(str(text)))
        except ValueError:
            continue
    return days


def situation_timing(*, client: Client, at: datetime) -> str:
    """Office hours, night, weekend or holiday at `at` on the brand's clock."""
    settings = response_settings_get(client=client)
    return choice.timing_of(
        at.astimezone(client.zone),
        office_start=settings.office_starts,
        office_end=settings.office_ends,
        holidays=_holidays(settings),
    )


def playbook_choose(
    *, client: Client, level: str, platform: str, at: datetime, origin: str = ""
) -> tuple[Playbook | None, choice.Choice]:
    """The brand's playbook for a situation (the alert's level and origin platform, its
    moment on the brand's clock, the origin when a person has said it), and why."""
    tenancy.require_tenant(client)
    playbooks = {p.pk: p for p in Playbook.objects.filter(is_active=True).order_by("id")}
    situation = choice.Situation(
        level=level,
        timing=situation_timing(client=client, at=at),
        platform=platform,
        origin=origin,
    )
    found = choice.choose(
        situation,
        [
            choice.Candidate(
                key=p.pk,
                name=p.name,
                origin=p.origin,
                level=p.level,
                timing=p.timing,
                platform=p.platform,
            )
            for p in playbooks.values()
        ],
    )
    return (playbooks[found.candidate.key] if found.candidate else None), found
