"""The brand's escalation policy page: its steps in order with whom each would page right now
(the person on duty, the backup, the account manager, the duty manager; the fallback where
nobody is), the options, and the brand's recent escalations. For the agency's people on the
brand; admins and account managers change it (the service refuses others, the page shows them
no form). Client viewers: 403, as the API."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from agency.exceptions import StormdeskError
from agency.selectors import user_can_manage_clients
from monitoring.forms import EscalationPolicyForm
from monitoring.models import Escalation
from monitoring.services.escalation import (
    escalation_policy_get,
    escalation_policy_update,
    escalation_preview,
)
from monitoring.views.base import brand_of, writes

RECENT = 20


def _initial(client: Any) -> dict[str, Any]:
    policy = escalation_policy_get(client=client)
    initial: dict[str, Any] = {
        "repeat": policy.repeat,
        "watch_waits_for_morning": policy.watch_waits_for_morning,
        "morning_at": policy.morning_at,
    }
    for n, step in enumerate(policy.steps.all()):
        initial[f"target_{n}"] = step.target
        initial[f"wait_{n}"] = step.wait_minutes
    return initial


@require_http_methods(["GET", "POST"])
def escalation_page(request: HttpRequest) -> HttpResponse:
    if not writes(request):
        raise PermissionDenied("The escalation policy is the agency's.")
    client = brand_of(request)
    manages = user_can_manage_clients(user=request.user)
    form = EscalationPolicyForm(initial=_initial(client))
    status = 200
    if request.method == "POST":
        if not manages:
            raise PermissionDenied("Only agency admins and account managers change escalation.")
        form = EscalationPolicyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                escalation_policy_update(
                    client=client,
                    acting_user=request.user,  # type: ignore[arg-type]
                    steps=data["steps"],
                    repeat=data["repeat"],
                    watch_waits_for_morning=data["watch_waits_for_morning"],
                    morning_at=data["morning_at"],
                )
            except StormdeskError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The escalation policy is saved."))
                return redirect("escalation-page")
        status = 400
    context = {
        "client": client,
        "form": form,
        "manages": manages,
        "preview": escalation_preview(client=client),
        "recent": list(Escalation.objects.select_related("alert").order_by("-id")[:RECENT]),
    }
    return render(request, "monitoring/escalation.html", context, status=status)
