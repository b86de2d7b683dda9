"""Reads of the brand's response. Every function runs in the brand's schema (asserted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from clients import tenancy
from playbooks import choice
from playbooks.models import COUNTED, Incident, Playbook, Response, ResponseSettings

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


@dataclass(frozen=True)
class FirstResponse:
    """The first-response clock of an incident: from the wave's first negative message on its
    origin platform to the brand's first reply or own post on that platform."""

    platform: str
    started_at: datetime | None
    answered_at: datetime | None
    target_minutes: int
    # A first answer on another platform than the origin: ("x", when).
    elsewhere: tuple[str, datetime] | None

    def minutes(self, now: datetime) -> float | None:
        if self.started_at is None:
            return None
        end = self.answered_at or now
        return max(0.0, (end - self.started_at).total_seconds() / 60)

    def late(self, now: datetime) -> bool:
        taken = self.minutes(now)
        return taken is not None and taken > self.target_minutes


def first_response(*, client: Client, incident: Incident) -> FirstResponse:
    """The clock of `incident` (three queries)."""
    from monitoring.models import Mention
    from monitoring.selectors import brand_settings_get

    tenancy.require_tenant(client)
    platform = incident.alert.origin_platform
    started = (
        Mention.objects.filter(
            wave_id=incident.wave_id, platform=platform, sentiment="neg", deleted_at__isnull=True
        )
        .order_by("posted_at")
        .values_list("posted_at", flat=True)
        .first()
    )
    counted = Response.objects.filter(status__in=COUNTED, incident=incident).order_by("sent_at")
    if started is not None:
        counted = counted.filter(sent_at__gte=started)
    answers = [(p, at) for p, at in counted.values_list("platform", "sent_at")[:50] if at]
    on_origin = next((at for p, at in answers if p == platform), None)
    first = answers[0] if answers else None
    elsewhere = (
        first
        if first is not None
        and first[0] != platform
        and (on_origin is None or first[1] < on_origin)
        else None
    )
    return FirstResponse(
        platform=platform,
        started_at=started,
        answered_at=on_origin,
        target_minutes=brand_settings_get(client=client).first_response_minutes,
        elsewhere=elsewhere,
    )
