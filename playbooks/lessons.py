"""Lessons change the brand's playbook. Closing an incident asks for the review the Swedish
article asks for, with lessons for the playbook; from the closed incident, one of the agency's
people opens the incident's playbook (the brand's copy) beside those lessons, changes its
steps and saves it through playbooks.services.playbook_update. The change is kept
(PlaybookChange: what changed, by whom, when), an audit event names the incident, and the
incident's timeline says it in words ("Playbook Night crisis changed from this incident's
lessons: step added 'Call the night editor'; due time of 'Holding reply' 15 → 10 min"). Or the
person keeps the playbook as it is: the lessons were read and need no change. Until one of the
two happens, a closed incident's lessons are waiting, and the playbook pages say so.

Every function runs in the brand's schema (asserted)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agency.models import SITUATION_ORIGINS, SITUATION_TIMINGS, STEP_WHO
from agency.services import audit_record
from clients import tenancy
from monitoring.models import Level, Platform
from playbooks.exceptions import IncidentError
from playbooks.models import (
    Incident,
    IncidentEvent,
    IncidentEventKind,
    IncidentStatus,
    Playbook,
    PlaybookChange,
)
from playbooks.services import playbook_update, require_agency_person
from playbooks.stepdiff import Change, StepState, playbook_changes

if TYPE_CHECKING:
    from agency.models import User
    from clients.models import Client

# How many changes a sentence names before it counts the rest.
SAID = 12
LISTED = 20  # lessons applied, and lessons waiting, on a playbook's page


# --- Saying the changes ----------------------------------------------------------------------


def _value(field: str, value: object) -> str:
    """A part of the situation, or who does a step, in the reader's language."""
    text = str(value or "")
    if field == "origin":
        return str(dict(SITUATION_ORIGINS).get(text, text))
    if field == "timing":
        return str(dict(SITUATION_TIMINGS).get(text, text))
    if field == "level":
        return str(dict(Level.choices).get(text, text)) if text else _("Any level")
    if field == "platform":
        return str(dict(Platform.choices).get(text, text)) if text else _("Any platform")
    if field == "who":
        return str(dict(STEP_WHO).get(text, text))
    return text


def _field(field: str) -> str:
    names = {
        "origin": _("what happened"),
        "level": _("level"),
        "timing": _("when"),
        "platform": _("where it started"),
    }
    return names.get(field, field)


def change_line(change: Change) -> str:
    """One change in the reader's language."""
    op = change.get("op")
    step = str(change.get("step", ""))
    old, new = change.get("old", ""), change.get("new", "")
    if op == "added":
        return _("step added '%(step)s'") % {"step": step}
    if op == "removed":
        return _("step removed '%(step)s'") % {"step": step}
    if op == "renamed":
        return _("step '%(old)s' renamed '%(new)s'") % {"old": old, "new": new}
    if op == "due":
        return _("due time of '%(step)s' %(old)s → %(new)s min") % {
            "step": step,
            "old": old,
            "new": new,
        }
    if op == "who":
        return _("who does '%(step)s': %(old)s → %(new)s") % {
            "step": step,
            "old": _value("who", old),
            "new": _value("who", new),
        }
    if op == "instructions":
        return _("instructions of '%(step)s' changed") % {"step": step}
    if op == "reordered":
        return _("steps in a new order")
    if op == "name":
        return _("renamed '%(old)s' → '%(new)s'") % {"old": old, "new": new}
    if op == "situation":
        field = str(change.get("field", ""))
        return _("%(field)s: %(old)s → %(new)s") % {
            "field": _field(field),
            "old": _value(field, old),
            "new": _value(field, new),
        }
    if op == "active":
        return _("put back in use") if new else _("taken out of use")
    return str(op)


def change_lines(changes: list[Change]) -> list[str]:
    """The changes in the reader's language; past SAID of them, how many more."""
    lines = [change_line(change) for change in changes[:SAID]]
    rest = len(changes) - SAID
    if rest > 0:
        lines.append(
            ngettext("and %(n)s more change", "and %(n)s more changes", rest) % {"n": rest}
        )
    return lines


def change_summary(changes: list[Change]) -> str:
    """ "step added 'Y'; due time of 'Z' 15 → 10 min", or that nothing changed."""
    return "; ".join(change_lines(changes)) if changes else _("kept as it was")


def _note(playbook_name: str, changes: list[Change]) -> str:
    """The timeline's line, in English like the timeline's other notes."""
    if not changes:
        return f"Playbook {playbook_name} kept as it was: this incident's lessons need no change."
    with translation.override("en"):
        said = change_summary(changes)
    return f"Playbook {playbook_name} changed from this incident's lessons: {said}."


# --- Whether an incident's lessons can change its playbook ----------------------------------


def lessons_refusal(incident: Incident) -> str | None:
    """Why the incident's lessons cannot change its playbook (None: they can), in the reader's
    language."""
    if incident.status != IncidentStatus.CLOSED:
        return _(
            "This incident is still open: close it with its review first, the lessons come "
            "from the review."
        )
    if not incident.lessons.strip():
        return _(
            "This incident's review has no lessons for the playbook: there is nothing to apply."
        )
    if incident.playbook_id is None:
        return _(
            "No playbook was used for this incident: change a playbook from the playbooks page."
        )
    return None


def _checked(client: Client, incident: Incident, acting_user: User) -> tuple[Incident, Playbook]:
    """The incident and its playbook, locked, once the person may change it and the incident's
    lessons may change it."""
    tenancy.require_tenant(client)
    require_agency_person(client, acting_user, "change playbooks")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    refusal = lessons_refusal(incident)
    if refusal is not None or incident.playbook_id is None:
        raise IncidentError(refusal or "", field="incident")
    playbook = Playbook.objects.select_for_update().get(pk=incident.playbook_id)
    return incident, playbook


def _state(playbook: Playbook) -> tuple[dict[str, object], list[StepState]]:
    head: dict[str, object] = {
        "name": playbook.name,
        "origin": playbook.origin,
        "level": playbook.level,
        "timing": playbook.timing,
        "platform": playbook.platform,
        "is_active": playbook.is_active,
    }
    steps = [
        StepState(
            title=s.title,
            who=s.who,
            due_minutes=s.due_minutes,
            instructions=s.instructions,
            kind=s.kind,
        )
        for s in playbook.steps.order_by("position")
    ]
    return head, steps


def _record(
    *,
    client: Client,
    incident: Incident,
    playbook: Playbook,
    playbook_name: str,
    changes: list[Change],
    acting_user: User,
) -> PlaybookChange:
    now = timezone.now()
    change = PlaybookChange.objects.create(
        playbook=playbook, incident=incident, changes=changes, actor=acting_user.email, at=now
    )
    IncidentEvent.objects.create(
        incident=incident,
        at=now,
        kind=IncidentEventKind.LESSONS,
        actor=acting_user.email,
        note=_note(playbook_name, changes),
    )
    audit_record(
        verb="playbook.lessons_applied" if changes else "playbook.lessons_kept",
        acting_user=acting_user,
        client_slug=client.slug,
        playbook=playbook.pk,
        incident=incident.pk,
        changes=changes,
    )
    return change


@transaction.atomic
def playbook_lessons_apply(
    *,
    client: Client,
    incident: Incident,
    acting_user: User,
    name: str,
    origin: str,
    level: str,
    timing: str,
    platform: str,
    steps: list[dict[str, object]],
    is_active: bool = True,
) -> PlaybookChange:
    """Change the closed incident's playbook from its lessons: the playbook saved through
    playbook_update (same arguments, same checks), and what changed kept with the incident, on
    its timeline and in the audit. Refused while the incident is open, when its review has no
    lessons or it had no playbook, for a client viewer, and when nothing changed (keep the
    playbook as it is with playbook_lessons_keep). The playbook is locked while it is compared
    and saved, so what is said to have changed is what did. Applying the same lessons again
    is a new change."""
    incident, playbook = _checked(client, incident, acting_user)
    old_head, old_steps = _state(playbook)
    playbook = playbook_update(
        client=client,
        playbook=playbook,
        acting_user=acting_user,
        name=name,
        origin=origin,
        level=level,
        timing=timing,
        platform=platform,
        steps=steps,
        is_active=is_active,
    )
    new_head, new_steps = _state(playbook)
    changes = playbook_changes(
        old_head=old_head, new_head=new_head, old_steps=old_steps, new_steps=new_steps
    )
    if not changes:
        # (Rolls playbook_update's save back with it: nothing happened.)
        raise IncidentError(
            _(
                "Nothing in the playbook changed. Change a step, or keep the playbook as it is "
                "if these lessons need no change."
            ),
            field="steps",
        )
    return _record(
        client=client,
        incident=incident,
        playbook=playbook,
        playbook_name=str(old_head["name"]),
        changes=changes,
        acting_user=acting_user,
    )


@transaction.atomic
def playbook_lessons_keep(
    *, client: Client, incident: Incident, acting_user: User
) -> PlaybookChange:
    """The incident's lessons were read and need no change to its playbook: said on the
    timeline and in the audit, and the lessons no longer wait. Refused as
    playbook_lessons_apply is."""
    incident, playbook = _checked(client, incident, acting_user)
    return _record(
        client=client,
        incident=incident,
        playbook=playbook,
        playbook_name=playbook.name,
        changes=[],
        acting_user=acting_user,
    )


# --- Reads ------------------------------------------------------------------------------------


def lessons_waiting_filter(*, client: Client) -> QuerySet[Incident]:
    """The closed incidents whose lessons have not changed (nor been kept by) their playbook
    yet, newest closed first."""
    tenancy.require_tenant(client)
    return (
        Incident.objects.filter(status=IncidentStatus.CLOSED, playbook__isnull=False)
        .exclude(lessons="")
        .filter(~Exists(PlaybookChange.objects.filter(incident=OuterRef("pk"))))
        .order_by("-closed_at", "-id")
    )


def playbooks_with_lessons_waiting(*, client: Client) -> QuerySet[Playbook]:
    """The brand's playbooks (in use first) with their steps and `lessons_waiting`: how many
    closed incidents' lessons wait to change each (one query, and one for the steps)."""
    waiting = (
        lessons_waiting_filter(client=client)
        .filter(playbook=OuterRef("pk"))
        .order_by()
        .values("playbook")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        Playbook.objects.prefetch_related("steps")
        .annotate(
            lessons_waiting=Coalesce(Subquery(waiting, output_field=IntegerField()), Value(0))
        )
        .order_by("-is_active", "id")
    )


@dataclass(frozen=True)
class Applied:
    """A change of a playbook from an incident's lessons, as a page shows it."""

    change: PlaybookChange
    incident: Incident
    playbook: Playbook
    # What changed, in the reader's language (empty: kept as it was).
    lines: list[str]


def _applied(changes: list[PlaybookChange]) -> list[Applied]:
    return [
        Applied(change=c, incident=c.incident, playbook=c.playbook, lines=change_lines(c.changes))
        for c in changes
    ]


@dataclass(frozen=True)
class PlaybookLessons:
    applied: list[Applied]  # newest first
    waiting: list[Incident]  # newest closed first
    more_applied: bool
    more_waiting: bool


def playbook_lessons(*, client: Client, playbook: Playbook) -> PlaybookLessons:
    """A playbook's lessons: the incidents whose lessons changed it (or were read and kept
    it), and the closed incidents that used it whose lessons are waiting (two queries)."""
    tenancy.require_tenant(client)
    applied = list(
        PlaybookChange.objects.filter(playbook=playbook).select_related("incident", "playbook")[
            : LISTED + 1
        ]
    )
    waiting = list(lessons_waiting_filter(client=client).filter(playbook=playbook)[: LISTED + 1])
    return PlaybookLessons(
        applied=_applied(applied[:LISTED]),
        waiting=waiting[:LISTED],
        more_applied=len(applied) > LISTED,
        more_waiting=len(waiting) > LISTED,
    )


@dataclass(frozen=True)
class IncidentLessons:
    """What became of a closed incident's lessons, for the incident's page and the editor."""

    incident: Incident
    applied: list[Applied]  # newest first
    # Whether the reader may change the playbook with them (the agency's people, a playbook).
    may_apply: bool
    # Why they cannot change a playbook ("" when they can).
    refusal: str


def incident_lessons(*, client: Client, incident: Incident, agency: bool) -> IncidentLessons | None:
    """None while the incident is open or its review has no lessons (no query then); else the
    changes its lessons made (one query) and whether the reader (`agency`: one of the agency's
    people on the brand) may make one."""
    tenancy.require_tenant(client)
    if incident.status != IncidentStatus.CLOSED or not incident.lessons:
        return None
    applied = list(
        PlaybookChange.objects.filter(incident=incident).select_related("incident", "playbook")[
            :LISTED
        ]
    )
    refusal = lessons_refusal(incident) or ""
    return IncidentLessons(
        incident=incident,
        applied=_applied(applied),
        may_apply=agency and not refusal,
        refusal=refusal,
    )
