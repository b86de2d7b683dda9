"""Template filters of the pages: times in a brand's zone with the offset, ages."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.models import zone_or_utc

register = template.Library()


def _local(value: datetime, zone: str) -> tuple[datetime, str]:
    """`value` in the time zone `zone` (UTC when it is not one), and the date prefix it
    needs: empty when it is today there."""
    tz = zone_or_utc(zone)
    local = value.astimezone(tz)
    today = timezone.now().astimezone(tz).date()
    return local, "" if local.date() == today else local.strftime("%Y-%m-%d ")


def zone_clock(value: datetime, zone: str) -> str:
    """`value` in the time zone `zone` without the offset, for chart axes: "03:12 CET"."""
    local, day = _local(value, zone)
    return f"{day}{local:%H:%M} {local.tzname()}"


@register.filter
def in_zone(value: datetime | None, zone: str) -> str:
    """`value` in the time zone `zone`, with its offset: "03:12 CET (+01:00)"; with the date
    when it is not today there."""
    if value is None:
        return ""
    local, _ = _local(value, zone)
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else "+00:00"
    return f"{zone_clock(value, zone)} ({offset})"


@register.filter
def age(value: datetime | None) -> str:
    """How long ago, in one unit: "4 min", "3 h", "2 days"."""
    if value is None:
        return ""
    seconds = max(0, int((timezone.now() - value).total_seconds()))
    if seconds < 3600:
        return _("%(n)d min") % {"n": max(1, seconds // 60)}
    if seconds < 86_400:
        return _("%(n)d h") % {"n": seconds // 3600}
    days = seconds // 86_400
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


@register.filter
def span_of(minutes: float | None) -> str:
    """A long span of minutes as people say it: "2 h 05 min", "3 days 4 h"."""
    if minutes is None:
        return ""
    total = max(0, int(minutes))
    if total < 60:
        return _("%(n)d min") % {"n": total}
    hours, rest = divmod(total, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": rest}
    days, hours = divmod(hours, 24)
    return ngettext("%(n)d day %(h)d h", "%(n)d days %(h)d h", days) % {"n": days, "h": hours}


@register.filter
def compact(value: int | None) -> str:
    """A follower count as people say it: 14, 9.1k, 54k, 1.2M."""
    if value is None:
        return ""
    for size, unit in ((1_000_000, "M"), (1_000, "k")):
        if value >= size:
            tenths = round(value / size, 1)
            decimals = 1 if tenths < 10 and tenths != int(tenths) else 0
            shown = tenths if decimals else round(value / size)
            # The decimal sign of the page's language: 9.1k, 9,1k.
            return f"{formats.number_format(shown, decimal_pos=decimals)}{unit}"
    return str(value)


@register.filter
def platform_name(key: str) -> str:
    """A platform's name as people write it ("x" -> "X", "news" -> "News / RSS")."""
    from monitoring.models import Platform

    return str(dict(Platform.choices).get(key, key))


@register.filter
def level_name(key: str) -> str:
    """A verdict level's name in the page's language ("crisis" -> "Kris")."""
    from monitoring.models import Level

    return str(dict(Level.choices).get(key, key))


@register.filter
def escalation_target(key: str) -> str:
    """An escalation step's target in the page's language."""
    from monitoring.models import EscalationTarget

    return str(dict(EscalationTarget.choices).get(key, key))


@register.filter
def incident_status(key: str) -> str:
    """An incident's status in the page's language ("responding" -> "Reageren")."""
    from playbooks.models import IncidentStatus

    return str(dict(IncidentStatus.choices).get(key, key))
