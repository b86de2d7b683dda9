"""The brand's ambassadors, and an incident's panel of them: who the fans are (and add one
with their accounts), which of them spoke in the wave and what they said, the balance of
positive and negative voices in the wave against the usual week, and a message to them out of
band with the Q&A link. Agency people write; client viewers read. The services are
playbooks.ambassadors'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from agency.exceptions import StormdeskError
from monitoring.models import Platform
from monitoring.views.base import brand_of, writes
from playbooks.ambassadors import (
    ambassador_add,
    ambassadors_message,
    wave_ambassadors,
    wave_balance,
)
from playbooks.models import Ambassador, Incident


class AmbassadorForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    email = forms.EmailField(
        label=gettext_lazy("E-mail (to reach them out of band)"), required=False
    )
    platform = forms.ChoiceField(label=gettext_lazy("Platform"), choices=Platform.choices)
    handle = forms.CharField(label=gettext_lazy("Their handle there"), max_length=200)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)


class MessageForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What is going on (information, never a text to paste)"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@require_http_methods(["GET", "POST"])
def ambassadors_page(request: HttpRequest) -> HttpResponse:
    client = brand_of(request)
    form = AmbassadorForm()
    status = 200
    if request.method == "POST":
        if not writes(request):
            raise PermissionDenied
        form = AmbassadorForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ambassador_add(
                    client=client,
                    name=data["name"],
                    email=data["email"],
                    note=data["note"],
                    accounts=[(data["platform"], data["handle"])],
                    acting_user=request.user,  # type: ignore[arg-type]
                )
            except StormdeskError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The ambassador is on the list."))
                return redirect("ambassadors-page")
        status = 400
    people = Ambassador.objects.filter(is_active=True).prefetch_related("accounts__author")
    return render(
        request,
        "playbooks/ambassadors.html",
        {"client": client, "ambassadors": list(people), "form": form, "writes": writes(request)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def incident_ambassadors_page(request: HttpRequest, pk: int) -> HttpResponse:
    client = brand_of(request)
    incident = get_object_or_404(Incident.objects.select_related("wave"), pk=pk)
    form = MessageForm()
    status = 200
    if request.method == "POST":
        if not writes(request):
            raise PermissionDenied
        form = MessageForm(request.POST)
        if form.is_valid():
            from playbooks.qa import qa_link_for_incident

            try:
                sent = ambassadors_message(
                    client=client,
                    incident=incident,
                    text=form.cleaned_data["text"],
                    qa_link=qa_link_for_incident(client=client, incident=incident) or "",
                    acting_user=request.user,  # type: ignore[arg-type]
                )
            except StormdeskError as exc:
                form.add_error("text", exc.message)
            else:
                messages.success(
                    request,
                    _("Sent to %(n)d ambassadors who have an e-mail address.") % {"n": sent},
                )
                return redirect("incident-ambassadors", pk=incident.pk)
        status = 400
    in_wave, usual = wave_balance(client=client, wave=incident.wave)
    context: dict[str, Any] = {
        "client": client,
        "incident": incident,
        "active": wave_ambassadors(client=client, wave=incident.wave),
        "in_wave": in_wave,
        "usual": usual,
        "form": form,
        "writes": writes(request) and incident.status != "closed",
    }
    return render(request, "playbooks/incident_ambassadors.html", context, status=status)
