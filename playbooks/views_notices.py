"""The employee list and the notice to the employees (brand host), and the page an employee's
personal link opens (no login: TenantAccessMiddleware exempts /notice/).

As thin as the other pages: a form checks what came, playbooks.notices does the work, a
template renders. The agency's people upload the list, (de)activate employees and send
notices; a client viewer of the brand reads the list and the read counts and sees no control
(TenantAccessMiddleware refuses their POSTs, and the views refuse them again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agency.models import User
from monitoring.views.base import PAGE, brand_of, writes
from playbooks.models import Employee, Incident, IncidentStatus
from playbooks.notices import (
    BODY_MAX,
    MAX_BYTES,
    REMIND_DEFAULT,
    REMIND_RANGE,
    SUBJECT_MAX,
    ImportReport,
    NoticeError,
    employee_active_set,
    employees_active_count,
    employees_import,
    notice_draft,
    notice_read_counts,
    notice_receipt_read,
    notice_send,
)
from playbooks.views_tone import tone_attrs, tone_findings

# The bad rows a page shows of one import (the rest are counted).
ERRORS_SHOWN = 200


class EmployeesUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Employee list (CSV)"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB: split it.") % {"mb": MAX_BYTES // 2**20}
            )
        return upload


class NoticeForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=SUBJECT_MAX)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 14}),
    )
    remind_after_minutes = forms.IntegerField(
        label=gettext_lazy("Remind who has not read it after (minutes)"),
        min_value=REMIND_RANGE[0],
        max_value=REMIND_RANGE[1],
        initial=REMIND_DEFAULT,
    )


def _writer(request: HttpRequest) -> User:
    """One of the agency's people on the brand (a client viewer may not write)."""
    if not writes(request) or not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


# --- The employee list ------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def employees_page(request: HttpRequest) -> HttpResponse:
    client = brand_of(request)
    report: ImportReport | None = None
    status = 200
    if request.method == "POST":
        user = _writer(request)
        form = EmployeesUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = employees_import(
                    client=client,
                    data=form.cleaned_data["file"].read(MAX_BYTES + 1),
                    acting_user=user,
                )
            except NoticeError as exc:
                form.add_error("file", exc.message)
                status = 400
            else:
                form = EmployeesUploadForm()
        else:
            status = 400
    else:
        form = EmployeesUploadForm()
    employees = Employee.objects.order_by("-is_active", "name", "email")
    page = Paginator(employees, PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "playbooks/employees.html",
        {
            "client": client,
            "form": form,
            "writes": writes(request),
            "page": page,
            "employees": list(page),
            "active": employees_active_count(client=client),
            "report": report,
            "errors_shown": report.errors[:ERRORS_SHOWN] if report else [],
            "errors_more": max(0, len(report.errors) - ERRORS_SHOWN) if report else 0,
            "max_mb": MAX_BYTES // 2**20,
        },
        status=status,
    )


@require_POST
def employee_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate an employee (no more notices) or take them back."""
    user = _writer(request)
    employee = get_object_or_404(Employee, pk=pk)
    active = request.POST.get("active") == "1"
    if employee_active_set(
        client=brand_of(request), employee=employee, active=active, acting_user=user
    ):
        text = (
            _("%(email)s receives notices again.")
            if active
            else _("%(email)s receives no more notices.")
        )
        messages.success(request, text % {"email": employee.email})
    page = request.POST.get("page", "")
    return redirect(f"/employees/?page={page}" if page.isdigit() else "/employees/")


# --- The notice -------------------------------------------------------------------------------


def _incident(pk: int) -> Incident:
    incident = Incident.objects.filter(pk=pk).first()
    if incident is None:
        raise Http404
    return incident


def _notice_context(request: HttpRequest, incident: Incident, form: NoticeForm) -> dict[str, Any]:
    client = brand_of(request)
    # The tone check on the text: live as it is written (htmx), and as it stands now for the
    # first render and for a page without JavaScript ("Check the tone" re-renders it).
    form.fields["body"].widget.attrs.update(
        tone_attrs(panel="tone-body", kind="notice", field="body", incident=incident)
    )
    return {
        "client": client,
        "incident": incident,
        "form": form,
        "tone": tone_findings(
            client=client, text=str(form["body"].value() or ""), kind="notice", incident=incident
        ),
        "writes": writes(request) and incident.status != IncidentStatus.CLOSED,
        "counts": notice_read_counts(client=client, incident=incident),
        "active": employees_active_count(client=client),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def incident_notice_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice to the employees for the incident: its text, prefilled in the brand's
    language, and the read count of each notice sent."""
    client = brand_of(request)
    incident = _incident(pk)
    if request.method != "POST":
        subject, body = notice_draft(client=client, incident=incident)
        form = NoticeForm(initial={"subject": subject, "body": body})
        return render(request, "playbooks/notice.html", _notice_context(request, incident, form))
    user = _writer(request)
    form = NoticeForm(request.POST)
    if request.POST.get("check"):
        # Only the tone check, nothing is sent: the page again with the findings on this text.
        return render(request, "playbooks/notice.html", _notice_context(request, incident, form))
    if form.is_valid():
        data = form.cleaned_data
        try:
            _notice, copies = notice_send(
                client=client,
                incident=incident,
                subject=data["subject"],
                body=data["body"],
                remind_after_minutes=data["remind_after_minutes"],
                acting_user=user,
            )
        except NoticeError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if copies:
                text = ngettext(
                    "The notice went to %(n)s employee.",
                    "The notice went to %(n)s employees.",
                    copies,
                )
                messages.success(request, text % {"n": copies})
            else:
                messages.info(request, _("Every active employee has had this notice already."))
            return redirect("incident-notice", pk=incident.pk)
    return render(
        request, "playbooks/notice.html", _notice_context(request, incident, form), status=400
    )


@require_GET
def incident_notice_counts(request: HttpRequest, pk: int) -> HttpResponse:
    """The read counts, which htmx swaps in while the page is open."""
    client = brand_of(request)
    incident = _incident(pk)
    return render(
        request,
        "playbooks/notice_counts.html",
        {
            "client": client,
            "incident": incident,
            "counts": notice_read_counts(client=client, incident=incident),
        },
    )


# --- The employee's page (no login) -----------------------------------------------------------


@never_cache
@require_GET
def notice_read(request: HttpRequest, token: str) -> HttpResponse:
    """An employee opens their personal link: the notice, and its read recorded once (a GET
    may record here: opening the link is the reading)."""
    client = brand_of(request)
    try:
        receipt = notice_receipt_read(client=client, token=token)
    except NoticeError:
        response = render(
            request,
            "playbooks/notice_read.html",
            {"client": client, "invalid": True},
            status=400,
        )
    else:
        if receipt is None:
            raise Http404
        response = render(
            request,
            "playbooks/notice_read.html",
            {"client": client, "notice": receipt.notice, "receipt": receipt},
        )
    # The link is personal: it goes to no other site, and no search engine keeps it.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
