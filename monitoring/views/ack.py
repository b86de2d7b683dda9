"""The one-tap acknowledge link of a page, on the agency portal: the signed token names the
person, the brand and the alert, so it works on a phone with no session (at 3 a.m. nobody
logs in first). Opening the link shows the alert and one button; tapping it acknowledges as
that person, through the same service as the desk and the API. A GET never acknowledges: mail
scanners and chat previews open links too."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from agency.exceptions import StormdeskError
from agency.models import Membership, User
from agency.selectors import client_access
from clients import tenancy
from clients.models import Client
from monitoring.models import Alert, AlertStatus
from monitoring.services.alerts import alert_acknowledge
from monitoring.services.escalation import ack_token_read
from monitoring.services.watch import check_token_read, watch_check_record

TEMPLATE = "monitoring/ack.html"


def _invalid(request: HttpRequest, expired: bool) -> HttpResponse:
    return render(request, TEMPLATE, {"invalid": True, "expired": expired}, status=400)


@require_http_methods(["GET", "POST"])
def alert_ack(request: HttpRequest, token: str) -> HttpResponse:
    try:
        schema_name, alert_id, user_id = ack_token_read(token)
    except signing.SignatureExpired:
        return _invalid(request, expired=True)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return _invalid(request, expired=False)
    client = Client.objects.filter(schema_name=schema_name).first()
    person = User.objects.filter(pk=user_id, is_active=True).first()
    # The person may have lost the brand since the page was sent: then the link is dead too.
    if client is None or person is None or client_access(user=person, client=client) is None:
        return _invalid(request, expired=False)
    if not Membership.objects.filter(user=person).exclude(role="client_viewer").exists():
        return _invalid(request, expired=False)
    with tenancy.tenant_context(client):
        alert = Alert.objects.filter(pk=alert_id).first()
        if alert is None:
            return _invalid(request, expired=False)
        error = ""
        done = False
        # Acknowledged already (by this link, the desk or a colleague): the page says by whom.
        if request.method == "POST" and alert.status == AlertStatus.NEW:
            try:
                alert = alert_acknowledge(client=client, alert=alert, acting_user=person)
                done = True
            except StormdeskError as exc:
                error = exc.message
        context = {
            "client": client,
            "alert": alert,
            "person": person,
            "done": done,
            "error": error,
            "alert_url": f"{client.get_absolute_url()}alerts/{alert.pk}/",
        }
        return render(request, TEMPLATE, context)


@require_http_methods(["GET", "POST"])
def watch_check_link(request: HttpRequest, token: str) -> HttpResponse:
    """The one-tap link of a missed-check reminder: the brand and one button, "Checked: all
    quiet", recorded as the person the link was signed for (watch_check_record checks they
    may still write on the brand)."""
    template = "monitoring/check_link.html"
    try:
        schema_name, user_id = check_token_read(token)
    except signing.SignatureExpired:
        return render(request, template, {"invalid": True, "expired": True}, status=400)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return render(request, template, {"invalid": True}, status=400)
    client = Client.objects.filter(schema_name=schema_name).first()
    person = User.objects.filter(pk=user_id, is_active=True).first()
    if client is None or person is None:
        return render(request, template, {"invalid": True}, status=400)
    with tenancy.tenant_context(client):
        context: dict[str, object] = {
            "client": client,
            "person": person,
            "brand_url": client.get_absolute_url(),
        }
        if request.method == "POST":
            try:
                context["check"] = watch_check_record(client=client, acting_user=person)
            except StormdeskError:
                return render(request, template, {"invalid": True}, status=400)
        return render(request, template, context)
