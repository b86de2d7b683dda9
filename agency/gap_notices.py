"""Gaps in cover, told to the account managers before they happen: every stretch of hours in
the next GAP_NOTICE_DAYS in which a brand has nobody (or only part of the hour) on duty, once
when it first shows ("ahead"), and again when it starts within a day ("soon"). One message per
account manager per run, listing their brands' new gaps; each gap and stage is remembered
(agency.models.GapNotice), so a gap is never told twice at the same stage.

Public schema only. Runs periodically (agency.tasks.coverage_gaps_notify); two runs at once
are serialized by an advisory lock.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agency.models import GapNotice, NotificationTopic, User
from agency.notifications import absolute_url, notify_person
from agency.roster import COVERED, account_managers_for, coverage_board
from clients.models import Client

SOON = timedelta(hours=24)
LOCK = 0x57A9  # pg advisory lock key of this job


@dataclass(frozen=True)
class Gap:
    client: Client
    start: datetime
    end: datetime

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)


def coverage_gaps(*, clients: list[Client], now: datetime, days: int) -> list[Gap]:
    """The stretches of hours without full cover in the next `days`, per brand, in order."""
    board = coverage_board(clients=clients, start=now, days=days)
    gaps: list[Gap] = []
    for row in board.rows:
        start = None
        for n, cell in enumerate(row.cells):
            if cell.state != COVERED and start is None:
                start = board.hours[n]
            elif cell.state == COVERED and start is not None:
                gaps.append(Gap(row.client, start, board.hours[n]))
                start = None
        if start is not None:
            gaps.append(Gap(row.client, start, board.hours[-1] + timedelta(hours=1)))
    return gaps


def _text(user: User, gaps: list[tuple[Gap, str]]) -> tuple[str, str]:
    with translation.override(user.language or "en"):
        subject = _("Gaps in cover: %(brands)s") % {
            "brands": ", ".join(sorted({g.client.name for g, _stage in gaps}))
        }
        lines = [_("Nobody is on duty for these brands in these hours:"), ""]
        soon = _("within a day")
        for gap, stage in gaps:
            zone = gap.client.zone
            start, end = gap.start.astimezone(zone), gap.end.astimezone(zone)
            lines.append(
                f"- {gap.client.name}: {start:%a %d %b %H:%M} - {end:%a %d %b %H:%M %Z}"
                + (f" ({soon})" if stage == "soon" else "")
            )
        lines += ["", _("Fill them on the coverage board:")]
    return subject, "\n".join(lines)


def coverage_gaps_notify(*, now: datetime | None = None, days: int | None = None) -> int:
    """Tell account managers of the new gaps (and of those a day away); returns how many gap
    notices were written."""
    now = now or timezone.now()
    days = days or settings.GAP_NOTICE_DAYS
    clients = list(Client.objects.brands().order_by("name"))
    if not clients:
        return 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        gaps = coverage_gaps(clients=clients, now=now, days=days)
        # A gap told already overlaps a notice of its brand and stage (a gap under way starts
        # at the current hour on each run; one partly filled since keeps part of its hours).
        known: dict[tuple[int, str], list[tuple[datetime, datetime]]] = defaultdict(list)
        for client_id, start, end, stage in GapNotice.objects.filter(end__gt=now).values_list(
            "client_id", "start", "end", "stage"
        ):
            known[(client_id, stage)].append((start, end))
        new: list[tuple[Gap, str]] = []
        for gap in gaps:
            stage = "soon" if gap.start - now <= SOON else "ahead"
            told = known[(gap.client.pk, stage)]
            if not any(start < gap.end and end > gap.start for start, end in told):
                new.append((gap, stage))
        if not new:
            return 0
        GapNotice.objects.bulk_create(
            [
                GapNotice(client=g.client, start=g.start, end=g.end, stage=s, notified_at=now)
                for g, s in new
            ],
            ignore_conflicts=True,
        )
        by_person: dict[int, tuple[User, list[tuple[Gap, str]]]] = {}
        managers: dict[int, list[User]] = {}
        for gap, stage in new:
            if gap.client.pk not in managers:
                managers[gap.client.pk] = account_managers_for(client=gap.client)
            for user in managers[gap.client.pk]:
                by_person.setdefault(user.pk, (user, []))[1].append((gap, stage))
        link = absolute_url("/coverage/")
        for user, items in by_person.values():
            subject, body = _text(user, items)
            gap, stage = items[0]
            notify_person(
                user=user,
                key=f"gap:u{user.pk}:{gap.client.pk}:{gap.start.isoformat()}:{stage}:{len(items)}",
                topic=NotificationTopic.GAP,
                subject=subject,
                body=body,
                link=link,
                at=now,
            )
    return len(new)
