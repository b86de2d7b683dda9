"""Reads of the brand's response. Every function runs in the brand's schema (asserted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

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


# --- The answer desk of an incident -------------------------------------------------------


@dataclass(frozen=True)
class ToAnswer:
    """One message of the wave as the answer desk shows it: the mention, and where the brand
    stands with it. `answered`: the brand's counted reply in its thread (or to its author
    within the incident), which makes a second one a discussion; `draft`: a draft for it."""

    mention: Any
    answered: Response | None
    draft: Response | None


def incident_responses(*, client: Client, incident: Incident) -> list[Response]:
    """The incident's replies and own posts, newest first, with the mention answered (one
    query)."""
    tenancy.require_tenant(client)
    return list(
        Response.objects.filter(incident=incident)
        .select_related("mention__author")
        .order_by("-created_at", "-id")
    )


def incident_messages_to_answer(
    *, client: Client, incident: Incident, responses: list[Response], limit: int = 100
) -> tuple[list[ToAnswer], bool]:
    """The wave's messages to answer: on the origin platform first (answer there first), the
    negative ones first, then the newest; each with the brand's counted reply to its thread or
    author, and its draft. `responses`: the incident's (incident_responses). Returns the first
    `limit` and whether there are more. Two queries at most."""
    from django.db.models import Case, IntegerField, Value, When

    from monitoring.models import Mention

    tenancy.require_tenant(client)
    origin = incident.alert.origin_platform
    rows = list(
        Mention.objects.filter(wave_id=incident.wave_id, deleted_at__isnull=True)
        .exclude(repost_of__gt="")
        .select_related("author")
        .annotate(
            on_origin=Case(
                When(platform=origin, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
            negative=Case(
                When(sentiment="neg", then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
        )
        .order_by("on_origin", "negative", "-posted_at", "-id")[: limit + 1]
    )
    # Every counted reply holds its thread; within the incident also its author.
    by_thread: dict[str, Response] = {}
    by_author: dict[str, Response] = {}
    drafts: dict[int, Response] = {}
    for response in responses:
        if response.kind != "reply":
            continue
        if response.status in COUNTED:
            by_thread.setdefault(response.thread_key, response)
            if response.author_key:
                by_author.setdefault(response.author_key, response)
        elif response.mention_id is not None:
            drafts.setdefault(response.mention_id, response)
    from playbooks.services import mention_keys

    threads = {m.pk: mention_keys(m) for m in rows}
    # Replies of other incidents (or none) in the same threads hold them too.
    open_threads = {t for t, _a in threads.values() if t not in by_thread}
    if open_threads:
        for response in Response.objects.filter(
            kind="reply", status__in=COUNTED, thread_key__in=open_threads
        ):
            by_thread.setdefault(response.thread_key, response)
    found = [
        ToAnswer(
            mention=m,
            answered=by_thread.get(threads[m.pk][0]) or by_author.get(threads[m.pk][1]),
            draft=drafts.get(m.pk),
        )
        for m in rows[:limit]
    ]
    return found, len(rows) > limit


def own_platforms(*, client: Client) -> set[str]:
    """The platforms where the brand has an account of its own (an active owned source)."""
    from monitoring.models import Source, SourceKind

    tenancy.require_tenant(client)
    return set(
        Source.objects.filter(kind=SourceKind.OWNED, is_active=True).values_list(
            "platform", flat=True
        )
    )


@dataclass(frozen=True)
class AnswerCounts:
    out: int  # sent or recorded (or being sent)
    drafts: int  # drafts and failed sends


def incident_answer_counts(*, client: Client, incident: Incident) -> AnswerCounts:
    """How many of the incident's replies and posts are out, and how many wait (one query)."""
    from django.db.models import Count, Q

    tenancy.require_tenant(client)
    counts = Response.objects.filter(incident=incident).aggregate(
        out=Count("pk", filter=Q(status__in=COUNTED)),
        drafts=Count("pk", filter=Q(status__in=["draft", "failed"])),
    )
    return AnswerCounts(out=counts["out"], drafts=counts["drafts"])


# --- The tone of a draft ------------------------------------------------------------------


@dataclass(frozen=True)
class ToneFinding:
    """One finding of the tone check on a draft, in the active language: `excerpt` is the
    offending part of the text ("" when the finding is on the whole draft)."""

    code: str
    severity: str  # "block" or "warn"
    label: str
    reason: str
    suggestion: str
    excerpt: str
    span: tuple[int, int] | None


def draft_tone(
    *,
    client: Client,
    text: str,
    kind: str,
    platform: str | None,
    language: str | None = None,
    incident: Incident | None = None,
    mention: Any = None,
    qa_url: str | None = None,
    qa_looked_up: bool = False,
) -> list[ToneFinding]:
    """The tone check (playbooks.tone) of a draft reply, own post, Q&A text or notice, with its
    context looked up here: whether `incident` is open and its published Q&A page's link (for a
    reply or post: one query, only then), the language of the `mention` replied to, and its
    platform when none is given. Blocks first, then in the order of the text; reasons and
    suggestions in the active language. `incident` and `mention` must be the brand's own
    (the caller found them in its schema); `qa_url` with `qa_looked_up`: the incident's Q&A
    link, looked up by the caller already. kind: "reply", "post", "qa" or "notice" (else
    ValueError)."""
    from playbooks.models import IncidentStatus
    from playbooks.qa import qa_link_for_incident
    from playbooks.tone import tone_check
    from playbooks.tone_texts import tone_words

    tenancy.require_tenant(client)
    is_open = incident is not None and incident.status != IncidentStatus.CLOSED
    # A caller with many drafts of one incident looks the link up once (qa_looked_up).
    if not qa_looked_up and is_open and kind in ("reply", "post") and incident is not None:
        qa_url = qa_link_for_incident(client=client, incident=incident)
    if mention is not None and not platform:
        platform = mention.platform
    findings = tone_check(
        text,
        kind=kind,
        platform=platform or None,
        language=language or None,
        thread_language=(mention.language or None) if mention is not None else None,
        incident_open=is_open,
        qa_url=qa_url,
    )
    shown = []
    for finding in findings:
        label, reason, suggestion = tone_words(finding)
        span = finding.span
        shown.append(
            ToneFinding(
                code=finding.code,
                severity=finding.severity,
                label=label,
                reason=reason,
                suggestion=suggestion,
                excerpt=text[span[0] : span[1]] if span else "",
                span=span,
            )
        )
    return shown
