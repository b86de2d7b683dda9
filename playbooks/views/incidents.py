"""Incidents: the list (open first), one incident with its playbook and why, its checklist, its
status, the review at closing and its timeline; and the alert page's "Open incident" part."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from agency.exceptions import StormdeskError
from agency.models import User
from agency.selectors import brand_members
from agency.templatetags.stormdesk import platform_name
from monitoring.models import AlertStatus
from monitoring.selectors import alerts_filter
from monitoring.views.base import PAGE, brand_of, writes
from playbooks.exceptions import IncidentError
from playbooks.forms import CloseForm, LeadForm, NoteForm, OriginForm, StatusForm, StepDoneForm
from playbooks.lessons import incident_lessons
from playbooks.models import Incident, IncidentStatus
from playbooks.notices import notice_read_counts
from playbooks.qa import qa_link_of, qa_page_of
from playbooks.selectors import first_response, incident_answer_counts
from playbooks.services import (
    ALLOWED,
    incident_close,
    incident_join,
    incident_lead_set,
    incident_note_add,
    incident_open,
    incident_origin_set,
    incident_status_set,
    incident_step_done,
)
from playbooks.views.reads import (
    incident_get,
    incident_timeline,
    incidents_of_alert,
    incidents_open_first,
    playbook_why,
)

STATUS_NAMES = dict(IncidentStatus.choices)


def person_of(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # (the middleware lets only members through)
        raise PermissionDenied
    return user


def writer_of(request: HttpRequest) -> User:
    """The person behind a write: one of the agency's people on the brand (a client viewer's
    POST is refused by TenantAccessMiddleware already)."""
    if not writes(request):
        raise PermissionDenied
    return person_of(request)


def incident_or_404(request: HttpRequest, pk: int) -> Incident:
    incident = incident_get(client=brand_of(request), pk=pk)
    if incident is None:
        raise Http404
    return incident


@require_GET
def incidents_page(request: HttpRequest) -> HttpResponse:
    client = brand_of(request)
    incidents = list(incidents_open_first(client=client)[: PAGE + 1])
    return render(
        request,
        "playbooks/incidents.html",
        {"client": client, "incidents": incidents[:PAGE], "more": len(incidents) > PAGE},
    )


def clock_of(client: Any, incident: Incident) -> dict[str, Any]:
    """The first-response clock as the page shows it (minutes so far, or to the answer)."""
    found = first_response(client=client, incident=incident)
    now = timezone.now()
    minutes = found.minutes(now)
    return {
        "found": found,
        "minutes": None if minutes is None else int(minutes),
        "late": found.late(now),
        # In the page's language (the template filter's names, read at request time).
        "platform": platform_name(found.platform),
        "elsewhere": platform_name(found.elsewhere[0]) if found.elsewhere else "",
    }


def _people(client: Any) -> list[tuple[str, str]]:
    """The agency's people on the brand, who may lead its incidents: (e-mail, name)."""
    members = brand_members(client=client)
    seen: dict[str, str] = {}
    for membership in members.agency_wide + members.staff:
        user = membership.user
        if user.is_active:
            seen.setdefault(user.email, user.full_name or user.email)
    return sorted(seen.items(), key=lambda item: item[1].lower())


def _detail(request: HttpRequest, incident: Incident, **forms: Any) -> dict[str, Any]:
    client = brand_of(request)
    agency = writes(request)
    is_open = incident.status != IncidentStatus.CLOSED
    qa_page = qa_page_of(client=client, incident=incident)
    moves = ALLOWED.get(IncidentStatus(incident.status), set()) if is_open else set()
    return {
        "client": client,
        "incident": incident,
        "alert": incident.alert,
        "why": playbook_why(incident),
        "steps": list(incident.steps.all()),
        "now": timezone.now(),
        "clock": clock_of(client, incident),
        "answers": incident_answer_counts(client=client, incident=incident),
        "qa_page": qa_page,
        "qa_link": qa_link_of(client=client, page=qa_page),
        "notices": notice_read_counts(client=client, incident=incident)[:1],
        # The pages sent are the agency's, not the client's (as on the alert page).
        "timeline": incident_timeline(client=client, incident=incident, with_pages=agency),
        "writes": agency and is_open,
        "moves": [(status, STATUS_NAMES[status]) for status in IncidentStatus if status in moves],
        "origin_form": forms.get("origin_form") or OriginForm(initial={"origin": incident.origin}),
        "close_form": forms.get("close_form") or CloseForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "lead_form": LeadForm(people=_people(client), initial={"lead": incident.lead})
        if agency and is_open
        else None,
        "me": person_of(request).email,
        "may_note": agency,
        "lessons": incident_lessons(client=client, incident=incident, agency=agency),
        "note_max": StepDoneForm.base_fields["note"].max_length,  # type: ignore[attr-defined]
    }


@require_GET
def incident_page(request: HttpRequest, pk: int) -> HttpResponse:
    incident = incident_or_404(request, pk)
    return render(request, "playbooks/incident.html", _detail(request, incident))


def _invalid(request: HttpRequest, incident: Incident, **forms: Any) -> HttpResponse:
    context = _detail(request, incident, **forms)
    return render(request, "playbooks/incident.html", context, status=400)


@require_POST
def incident_origin(request: HttpRequest, pk: int) -> HttpResponse:
    """Say what happened: the playbook is chosen again (playbooks.services.incident_origin_set)."""
    user = writer_of(request)
    incident = incident_or_404(request, pk)
    form = OriginForm(request.POST)
    if not form.is_valid():
        return _invalid(request, incident, origin_form=form)
    try:
        changed = incident_origin_set(
            client=brand_of(request),
            incident=incident,
            origin=form.cleaned_data["origin"],
            acting_user=user,
        )
        messages.success(request, _("Playbook: %(why)s") % {"why": playbook_why(changed)})
    except IncidentError as exc:
        messages.error(request, exc.message)
    return redirect("incident-page", pk=incident.pk)


@require_POST
def incident_step(request: HttpRequest, pk: int, step: int) -> HttpResponse:
    """Tick a step of the checklist off, with an optional note."""
    user = writer_of(request)
    incident = incident_or_404(request, pk)
    found = get_object_or_404(incident.steps.all(), pk=step)
    form = StepDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("incident-page", pk=incident.pk)
    try:
        incident_step_done(
            client=brand_of(request), step=found, acting_user=user, note=form.cleaned_data["note"]
        )
        messages.success(request, _("Done: %(step)s") % {"step": found.title})
    except IncidentError as exc:
        messages.error(request, exc.message)
    return redirect("incident-page", pk=incident.pk)


@require_POST
def incident_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = writer_of(request)
    incident = incident_or_404(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose investigating, responding or monitoring."))
        return redirect("incident-page", pk=incident.pk)
    try:
        changed = incident_status_set(
            client=brand_of(request),
            incident=incident,
            status=form.cleaned_data["status"],
            acting_user=user,
        )
        messages.success(
            request, _("Status: %(status)s") % {"status": STATUS_NAMES[changed.status]}
        )
    except IncidentError as exc:
        messages.error(request, exc.message)
    return redirect("incident-page", pk=incident.pk)


@require_POST
def incident_close_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Close with the review: was there truth in the critique, what should the brand improve."""
    user = writer_of(request)
    incident = incident_or_404(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _invalid(request, incident, close_form=form)
    try:
        incident_close(
            client=brand_of(request), incident=incident, acting_user=user, **form.cleaned_data
        )
        messages.success(request, _("Closed, with its review."))
    except IncidentError as exc:
        messages.error(request, exc.message)
    return redirect("incident-page", pk=incident.pk)


# --- The alert page's part (monitoring never imports playbooks: its page loads this) --------


def _alert(request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(alerts_filter(client=brand_of(request)), pk=pk)


@require_GET
def incident_for_alert(request: HttpRequest, pk: int) -> HttpResponse:
    """The alert's incidents, and "Open incident" while none is open (for the agency's people,
    on an alert that is not closed)."""
    alert = _alert(request, pk)
    incidents = incidents_of_alert(client=brand_of(request), alert_id=alert.pk)
    has_open = any(i.status != IncidentStatus.CLOSED for i in incidents)
    closed_alert = alert.status in (AlertStatus.RESOLVED, AlertStatus.DISMISSED)
    return render(
        request,
        "playbooks/_for_alert.html",
        {
            "alert": alert,
            "incidents": incidents,
            "can_open": writes(request) and not has_open and not closed_alert,
        },
    )


@require_POST
def incident_open_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the incident of the alert's wave (or go to the one open already)."""
    user = writer_of(request)
    alert = _alert(request, pk)
    try:
        incident = incident_open(client=brand_of(request), alert=alert, acting_user=user)
    except IncidentError as exc:
        messages.error(request, exc.message)
        return redirect("alert-page", pk=alert.pk)
    messages.success(
        request, _("Incident open. Playbook: %(why)s") % {"why": playbook_why(incident)}
    )
    return redirect("incident-page", pk=incident.pk)


@require_POST
def incident_lead(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the lead (no `lead` field), or hand it to one of the agency's people on the brand."""
    user = writer_of(request)
    incident = incident_or_404(request, pk)
    client = brand_of(request)
    lead = user
    if "lead" in request.POST:
        form = LeadForm(request.POST, people=_people(client))
        if not form.is_valid():
            messages.error(request, _("Choose one of the agency's people on this brand."))
            return redirect("incident-page", pk=incident.pk)
        found = User.objects.filter(email=form.cleaned_data["lead"], is_active=True).first()
        if found is None:
            raise Http404
        lead = found
    try:
        changed = incident_lead_set(client=client, incident=incident, acting_user=user, lead=lead)
        messages.success(request, _("Lead: %(who)s") % {"who": changed.lead})
    except StormdeskError as exc:
        messages.error(request, exc.message)
    return redirect("incident-page", pk=incident.pk)


@require_POST
def incident_join_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = writer_of(request)
    incident = incident_or_404(request, pk)
    try:
        incident_join(client=brand_of(request), incident=incident, acting_user=user)
        messages.success(request, _("You are one of the responders."))
    except StormdeskError as exc:
        messages.error(request, exc.message)
    return redirect("incident-page", pk=incident.pk)


@require_POST
def incident_note(request: HttpRequest, pk: int) -> HttpResponse:
    user = writer_of(request)
    incident = incident_or_404(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _invalid(request, incident, note_form=form)
    try:
        incident_note_add(
            client=brand_of(request),
            incident=incident,
            note=form.cleaned_data["note"],
            acting_user=user,
        )
        messages.success(request, _("Note added to the timeline."))
    except StormdeskError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("incident-page", args=[incident.pk]) + "#timeline")
