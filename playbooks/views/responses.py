"""The answer desk of an incident: the wave's messages, origin platform first, each with where
the brand stands (answered in its thread, a draft, nothing yet); the editor of a reply or an own
post with its tone findings and the Q&A page's link added; drafts approved, sent through the
platform's API or recorded as made elsewhere. Every write goes through playbooks.sending or
playbooks.services; the reply-once refusal and the platform's words come back as messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agency.exceptions import PermissionDeniedError, StormdeskError
from agency.selectors import user_can_manage_clients
from agency.templatetags.stormdesk import platform_name
from monitoring.models import Mention, Platform
from monitoring.views.base import brand_of, writes
from playbooks.forms import DraftForm, EditForm, RecordForm, SendForm
from playbooks.models import Incident, IncidentStatus, Response, ResponseKind, ResponseStatus
from playbooks.qa import qa_link_for_incident, qa_page_of
from playbooks.selectors import (
    draft_tone,
    incident_messages_to_answer,
    incident_responses,
    own_platforms,
)
from playbooks.senders import sender_for
from playbooks.sending import (
    approval_policy,
    incident_is_crisis,
    may_approve,
    response_approvals,
    response_approve,
    response_discard,
    response_draft,
    response_draft_update,
    response_send,
)
from playbooks.services import response_record
from playbooks.views.incidents import clock_of, incident_or_404, person_of, writer_of

EDITABLE = (ResponseStatus.DRAFT, ResponseStatus.FAILED)
# The playbook's steps about answering (playbooks.defaults' blocks), shown beside the editor.
ANSWER_STEPS = ("holding_reply", "apology", "stance", "check_platforms")
# The record form's ids: the editor beside it has fields of the same names (text, platform).
RECORD_IDS = "id_record_%s"


def _mention(incident: Incident, pk: Any) -> Mention | None:
    """One of the wave's messages (a pk from the form or the query string; another wave's or
    another brand's is not found)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        Mention.objects.filter(wave_id=incident.wave_id, pk=pk, deleted_at__isnull=True)
        .select_related("author")
        .first()
    )


def _response(incident: Incident, pk: int) -> Response:
    found = Response.objects.filter(incident=incident, pk=pk).select_related("mention").first()
    if found is None:
        raise Http404
    return found


def _sends_from_desk(platform: str, kind: str) -> bool:
    from django.conf import settings

    sender = sender_for(platform, getattr(settings, "CONNECTOR_BASE_URLS", {}))
    return sender is not None and not (kind == ResponseKind.POST and sender.no_posts)


def _post_platform(client: Any, origin: str) -> str:
    """Where an own post goes by default: the origin platform when the desk can post there
    ("no tweet while the outrage is on Facebook"), else the first platform with the brand's own
    account that takes a post from the desk, else the origin (to record one made there)."""
    if _sends_from_desk(origin, ResponseKind.POST):
        return origin
    own = sorted(own_platforms(client=client))
    return next((p for p in own if _sends_from_desk(p, ResponseKind.POST)), origin)


def _may_override(request: HttpRequest, incident: Incident) -> bool:
    user = person_of(request)
    return incident.lead == user.email or user_can_manage_clients(user=user)


@dataclass(frozen=True)
class _Rules:
    """What every card of the page shares: looked up once per page, not per card."""

    crisis_needs_approval: bool
    may_approve: bool
    agency: bool
    is_open: bool
    qa_link: str | None
    # The responses whose text as it reads now was approved (by id), when approval is asked.
    approved: frozenset[int]


def _rules(
    request: HttpRequest, client: Any, incident: Incident, responses: list[Response]
) -> _Rules:
    needs = incident_is_crisis(incident) and approval_policy(client=client)
    return _Rules(
        crisis_needs_approval=needs,
        approved=frozenset(response_approvals(client=client, responses=responses))
        if needs
        else frozenset(),
        may_approve=may_approve(client=client, user=person_of(request)),
        agency=writes(request),
        is_open=incident.status != IncidentStatus.CLOSED,
        qa_link=qa_link_for_incident(client=client, incident=incident),
    )


def _card(client: Any, incident: Incident, response: Response, rules: _Rules) -> dict[str, Any]:
    """What the page shows of one response, and which of its buttons this person gets."""
    editable = response.status in EDITABLE and rules.is_open
    needs = editable and rules.crisis_needs_approval
    ok = needs and response.pk in rules.approved
    return {
        "response": response,
        "editable": editable and rules.agency,
        "needs_approval": needs,
        "approved": ok,
        "may_approve": needs and not ok and rules.may_approve,
        "may_send": editable and rules.agency and (ok or not needs),
        "from_desk": _sends_from_desk(response.platform, response.kind),
        "findings": draft_tone(
            client=client,
            text=response.text,
            kind=response.kind,
            platform=response.platform,
            incident=incident,
            mention=response.mention,
            qa_url=rules.qa_link,
            qa_looked_up=True,
        )
        if editable
        else [],
    }


def _context(request: HttpRequest, incident: Incident, **forms: Any) -> dict[str, Any]:
    client = brand_of(request)
    agency = writes(request)
    responses = incident_responses(client=client, incident=incident)
    rules = _rules(request, client, incident, responses)
    qa_link = rules.qa_link
    to_answer, more = incident_messages_to_answer(
        client=client, incident=incident, responses=responses
    )
    origin = incident.alert.origin_platform
    # The editor: a reply to the message asked for (?reply=<id>), or an own post.
    target = _mention(incident, request.GET.get("reply")) if "reply" in request.GET else None
    draft_form = forms.get("draft_form")
    if draft_form is None:
        platform = (
            target.platform if target else request.GET.get("post") or _post_platform(client, origin)
        )
        draft_form = DraftForm(
            initial={
                "mention": target.pk if target else None,
                "platform": platform,
                "text": qa_link or "",
            }
        )
    compose_platform = target.platform if target else draft_form["platform"].value() or origin
    return {
        "client": client,
        "incident": incident,
        "clock": clock_of(client, incident),
        "origin": origin,
        "origin_name": platform_name(origin),
        "origin_posts": _sends_from_desk(origin, ResponseKind.POST),
        "qa_link": qa_link,
        "qa_page": qa_page_of(client=client, incident=incident),
        "to_answer": to_answer,
        "more": more,
        "cards": [_card(client, incident, r, rules) for r in responses],
        "writes": agency and rules.is_open,
        "may_override": agency and _may_override(request, incident),
        "target": target,
        # The thread of the message asked for is answered already: a second reply is refused.
        "target_answered": next(
            (i.answered for i in to_answer if target and i.mention.pk == target.pk), None
        ),
        "compose_kind": ResponseKind.REPLY if target else ResponseKind.POST,
        "compose_platform": compose_platform,
        "compose_from_desk": _sends_from_desk(
            compose_platform, ResponseKind.REPLY if target else ResponseKind.POST
        ),
        "answer_steps": [
            step for step in incident.steps.all() if step.kind in ANSWER_STEPS and not step.done_at
        ],
        "now": timezone.now(),
        "compose_findings": _compose_tone(client, incident, draft_form, target, compose_platform),
        "draft_form": draft_form,
        "record_form": forms.get("record_form")
        or RecordForm(
            initial={"mention": target.pk if target else None, "platform": origin},
            auto_id=RECORD_IDS,
        ),
        "platforms": Platform.choices,
    }


def _compose_tone(
    client: Any, incident: Incident, form: DraftForm, target: Mention | None, platform: str
) -> list[Any] | None:
    """The editor's findings as it opens (htmx refreshes them while the person types; without
    JavaScript they show after a save that failed)."""
    text = str(form["text"].value() or "")
    if not text.strip():
        return None
    return draft_tone(
        client=client,
        text=text,
        kind=ResponseKind.REPLY if target else ResponseKind.POST,
        platform=platform,
        incident=incident,
        mention=target,
    )


def _back(incident: Incident, response: Response | None = None) -> HttpResponse:
    url = reverse("incident-answer", args=[incident.pk])
    return redirect(f"{url}#response-{response.pk}" if response else url)


def _error(request: HttpRequest, exc: StormdeskError) -> None:
    messages.error(request, exc.message)


@require_GET
def answer_page(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_or_404(request, pk)
    return render(request, "playbooks/answer.html", _context(request, incident))


def _invalid(request: HttpRequest, incident: Incident, **forms: Any) -> HttpResponse:
    return render(
        request, "playbooks/answer.html", _context(request, incident, **forms), status=400
    )


def _valid_with_mention(
    form: DraftForm | RecordForm, incident: Incident
) -> tuple[bool, Mention | None]:
    """Whether the form is valid, and the wave's message it answers (None: an own post)."""
    if not form.is_valid():
        return False, None
    if not form.cleaned_data["mention"]:
        return True, None
    mention = _mention(incident, form.cleaned_data["mention"])
    if mention is None:
        form.add_error(None, _("That message is not in this incident's wave."))
        return False, None
    return True, mention


@require_POST
def answer_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Save a draft reply (to one of the wave's messages) or own post, with the Q&A link."""
    user = writer_of(request)
    incident = incident_or_404(request, pk)
    client = brand_of(request)
    form = DraftForm(request.POST)
    valid, mention = _valid_with_mention(form, incident)
    if not valid:
        return _invalid(request, incident, draft_form=form)
    kind = ResponseKind.REPLY if mention else ResponseKind.POST
    platform = mention.platform if mention else form.cleaned_data["platform"]
    text = form.cleaned_data["text"]
    try:
        response = response_draft(
            client=client,
            incident=incident,
            kind=kind,
            platform=platform,
            text=text,
            mention=mention,
            acting_user=user,
        )
    except StormdeskError as exc:
        form.add_error(None, exc.message)
        return _invalid(request, incident, draft_form=form)
    messages.success(request, _("Draft saved. Read the findings, then send it."))
    return _back(incident, response)


@require_POST
def answer_edit(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    user = writer_of(request)
    incident = incident_or_404(request, pk)
    client = brand_of(request)
    response = _response(incident, rid)
    form = EditForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return _back(incident, response)
    text = form.cleaned_data["text"]
    try:
        response_draft_update(client=client, response=response, text=text, acting_user=user)
        messages.success(request, _("Draft changed."))
    except StormdeskError as exc:
        _error(request, exc)
    return _back(incident, response)


@require_POST
def answer_approve(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    """Approve a crisis reply's text: the brand's account manager or the client (the one write
    a client viewer makes, agency.middleware.VIEWER_WRITES)."""
    user = person_of(request)
    incident = incident_or_404(request, pk)
    response = _response(incident, rid)
    try:
        response_approve(client=brand_of(request), response=response, acting_user=user)
        messages.success(request, _("Approved: it may go out as it reads now."))
    except StormdeskError as exc:
        _error(request, exc)
    return _back(incident, response)


@require_POST
def answer_send(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    user = writer_of(request)
    incident = incident_or_404(request, pk)
    response = _response(incident, rid)
    form = SendForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return _back(incident, response)
    name = platform_name(response.platform)
    try:
        sent = response_send(
            client=brand_of(request),
            response=response,
            acting_user=user,
            override_reason=form.cleaned_data["override_reason"],
        )
    except StormdeskError as exc:
        _error(request, exc)
        return _back(incident, response)
    if sent.status == ResponseStatus.SENT:
        messages.success(request, _("Sent on %(platform)s.") % {"platform": name})
    else:
        messages.info(request, _("It is on %(platform)s already.") % {"platform": name})
    return _back(incident, sent)


@require_POST
def answer_discard(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    user = writer_of(request)
    incident = incident_or_404(request, pk)
    response = _response(incident, rid)
    try:
        response_discard(client=brand_of(request), response=response, acting_user=user)
        messages.success(request, _("Draft thrown away."))
    except StormdeskError as exc:
        _error(request, exc)
    return _back(incident)


@require_POST
def answer_record(request: HttpRequest, pk: int) -> HttpResponse:
    """A reply or own post the brand made on the platform itself, recorded with its URL: it
    holds the thread and stops the clock like one sent from here."""
    user = writer_of(request)
    incident = incident_or_404(request, pk)
    client = brand_of(request)
    form = RecordForm(request.POST, auto_id=RECORD_IDS)
    valid, mention = _valid_with_mention(form, incident)
    if not valid:
        return _invalid(request, incident, record_form=form)
    try:
        response = response_record(
            client=client,
            acting_user=user,
            kind=ResponseKind.REPLY if mention else ResponseKind.POST,
            platform=mention.platform if mention else form.cleaned_data["platform"],
            text=form.cleaned_data["text"],
            url=form.cleaned_data["url"],
            mention=mention,
            incident=incident,
            override_reason=form.cleaned_data["override_reason"],
        )
    except PermissionDeniedError as exc:
        form.add_error("override_reason", exc.message)
        return _invalid(request, incident, record_form=form)
    except StormdeskError as exc:
        form.add_error(None, exc.message)
        return _invalid(request, incident, record_form=form)
    messages.success(request, _("Recorded: it holds the thread and counts for the clock."))
    return _back(incident, response)
