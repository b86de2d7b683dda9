"""A person's notifications on the portal (/me/notifications/): their contact methods (e-mail,
Web Push to this device, chat and SMS services through apprise URLs), each confirmed by a test
message whose link they open; their personal rules (which method, after how many minutes); and
the recent messages sent to them. For the agency's people (admins, account managers, staff);
the services are agency.notifications', the same the API calls (agency.api_contact).

Public schema only: nothing here enters a brand's schema.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from agency.api_base import jsonb_refusal
from agency.forms_contact import APPRISE_EXAMPLES, AppriseMethodForm, EmailMethodForm, RulesForm
from agency.models import (
    AGENCY_ROLES,
    ContactKind,
    ContactMethod,
    Notification,
    NotificationRule,
    NotificationTopic,
    User,
)
from agency.notifications import (
    MAX_METHODS,
    NotificationError,
    contact_method_add,
    contact_method_remove,
    contact_method_test,
    contact_method_verify,
    contact_target,
    notification_rules_set,
    reach_plan,
)
from agency.selectors import user_agency_role
from agency.transports import vapid_public_key

# The newest messages listed on the page (the API pages through them all).
RECENT = 30
# Test messages to one method: one a minute, a few an hour (an unconfirmed target may be
# someone else's address: the button must not make Stormdesk a way to flood it).
TEST_GAP = timedelta(minutes=1)
TESTS_PER_HOUR = 5
SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "agency" / "sw.js"


# --- Reads (the page's and the API's) ---------------------------------------------------------


def person_of(request: HttpRequest) -> User:
    """The signed-in person, if they are one of the agency's people; else 403."""
    if user_agency_role(user=request.user) not in AGENCY_ROLES:
        raise PermissionDenied
    user = request.user
    assert isinstance(user, User)
    return user


def contact_methods_of(*, user: User) -> list[ContactMethod]:
    return list(ContactMethod.objects.filter(user=user).order_by("created_at", "id"))


def own_method(*, user: User, pk: int) -> ContactMethod:
    """One of `user`'s methods; another person's is not found (404)."""
    return get_object_or_404(ContactMethod, pk=pk, user=user)


def recent_notifications(*, user: User) -> QuerySet[Notification]:
    """The messages sent (or to be sent) to `user`, newest first; never another person's."""
    return (
        Notification.objects.filter(user=user)
        .select_related("method")
        .order_by("-created_at", "-id")
    )


def test_wait(*, method: ContactMethod, now: datetime | None = None) -> int:
    """Seconds until `method` may be sent another test message (0: now)."""
    now = now or timezone.now()
    sent = list(
        Notification.objects.filter(
            method=method, topic=NotificationTopic.TEST, created_at__gt=now - timedelta(hours=1)
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:TESTS_PER_HOUR]
    )
    waits = [0.0]
    if sent:
        waits.append((sent[0] + TEST_GAP - now).total_seconds())
    if len(sent) >= TESTS_PER_HOUR:
        waits.append((sent[-1] + timedelta(hours=1) - now).total_seconds())
    return max(0, int(max(waits) + 0.999))


def push_method_for(*, user: User, endpoint: str) -> ContactMethod | None:
    """`user`'s push method of this subscription (the same device asked twice), if any."""
    for method in ContactMethod.objects.filter(user=user, kind=ContactKind.PUSH):
        if contact_target(method).get("endpoint") == endpoint:
            return method
    return None


# --- The page ---------------------------------------------------------------------------------


def _page(
    request: HttpRequest,
    user: User,
    *,
    email_form: EmailMethodForm | None = None,
    apprise_form: AppriseMethodForm | None = None,
    rules_form: RulesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    methods = contact_methods_of(user=user)
    rules = list(
        NotificationRule.objects.filter(user=user)
        .order_by("after_minutes", "id")
        .values_list("method_id", "after_minutes")
    )
    context: dict[str, Any] = {
        "methods": methods,
        "full": len(methods) >= MAX_METHODS,
        "max_methods": MAX_METHODS,
        "email_form": email_form or EmailMethodForm(prefix="email"),
        "apprise_form": apprise_form or AppriseMethodForm(prefix="apprise"),
        "apprise_examples": APPRISE_EXAMPLES,
        "rules_form": rules_form
        or RulesForm(initial=RulesForm.initial_for(rules), methods=methods),
        "has_rules": bool(rules),
        "plan": reach_plan(user=user, urgent=False),
        "vapid_key": vapid_public_key(),
        "notifications": list(recent_notifications(user=user)[:RECENT]),
        "recent": RECENT,
        "zone": settings.TIME_ZONE,
    }
    return render(request, "agency/contact/methods.html", context, status=status)


def _back(anchor: str = "methods") -> HttpResponse:
    return redirect(f"{reverse('contact-methods')}#{anchor}")


def _error_field(exc: NotificationError, form: forms.Form, default: str) -> str:
    return exc.field if exc.field in form.fields else default


@login_required
@require_http_methods(["GET", "HEAD"])
def contact_methods_page(request: HttpRequest) -> HttpResponse:
    return _page(request, person_of(request))


def _add(request: HttpRequest, kind: str) -> HttpResponse:
    user = person_of(request)
    form: EmailMethodForm | AppriseMethodForm
    if kind == ContactKind.EMAIL:
        form = EmailMethodForm(request.POST, prefix="email")
    else:
        form = AppriseMethodForm(request.POST, prefix="apprise")
    if form.is_valid():
        try:
            method = contact_method_add(
                user=user,
                kind=kind,
                target=form.cleaned_data["target"],
                label=form.cleaned_data["label"],
            )
        except NotificationError as exc:
            form.add_error(_error_field(exc, form, "target"), exc.message)
        else:
            messages.success(
                request,
                _("%(method)s added. Send it a test message and open its link to confirm it.")
                % {"method": method.label or method.target_hint},
            )
            return _back()
    if kind == ContactKind.EMAIL:
        return _page(request, user, email_form=form, status=400)  # type: ignore[arg-type]
    return _page(request, user, apprise_form=form, status=400)  # type: ignore[arg-type]


@login_required
@require_POST
def contact_add_email(request: HttpRequest) -> HttpResponse:
    return _add(request, ContactKind.EMAIL)


@login_required
@require_POST
def contact_add_apprise(request: HttpRequest) -> HttpResponse:
    return _add(request, ContactKind.APPRISE)


def _too_soon(request: HttpRequest, wait: int) -> None:
    messages.error(
        request,
        ngettext(
            "A test message went to it just now: you may send another in %(n)d second.",
            "A test message went to it just now: you may send another in %(n)d seconds.",
            wait,
        )
        % {"n": wait},
    )


@login_required
@require_POST
def contact_test(request: HttpRequest, pk: int) -> HttpResponse:
    user = person_of(request)
    method = own_method(user=user, pk=pk)
    wait = test_wait(method=method)
    if wait:
        _too_soon(request, wait)
    else:
        contact_method_test(method=method, acting_user=user)
        messages.success(
            request,
            _(
                "A test message is on its way to %(method)s: open its link to confirm it "
                "reached you."
            )
            % {"method": method.label or method.target_hint},
        )
    return _back()


@login_required
@require_POST
def contact_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = person_of(request)
    method = own_method(user=user, pk=pk)
    name = method.label or method.target_hint
    contact_method_remove(method=method, acting_user=user)
    messages.success(request, _("%(method)s removed.") % {"method": name})
    return _back()


@login_required
@require_POST
def contact_rules(request: HttpRequest) -> HttpResponse:
    user = person_of(request)
    form = RulesForm(request.POST, methods=contact_methods_of(user=user))
    if form.is_valid():
        try:
            notification_rules_set(user=user, rules=form.cleaned_data["rules"])
        except NotificationError as exc:
            form.add_error(_error_field(exc, form, form.first_field()), exc.message)
        else:
            messages.success(request, _("Your rules are saved."))
            return _back("rules")
    return _page(request, user, rules_form=form, status=400)


def _json_error(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400)


@login_required
@require_POST
def push_subscribe(request: HttpRequest) -> JsonResponse:
    """This device's push subscription (push.js posts `{subscription: PushSubscription.toJSON(),
    label}`): a push method, and its test message. The same subscription again is the same
    method (a second test only while it waits for confirmation)."""
    user = person_of(request)
    try:
        data = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return _json_error(_("The browser sent no subscription."))
    if not isinstance(data, dict) or jsonb_refusal(data):
        return _json_error(_("The browser sent no subscription."))
    subscription, label = data.get("subscription"), data.get("label", "")
    if not isinstance(label, str) or len(label) > 100:
        return _json_error(_("The name of the device is at most 100 characters."))
    endpoint = subscription.get("endpoint") if isinstance(subscription, dict) else None
    with transaction.atomic():
        method = push_method_for(user=user, endpoint=endpoint) if endpoint else None
        created = method is None
        if method is None:
            try:
                method = contact_method_add(
                    user=user, kind=ContactKind.PUSH, target=subscription, label=label
                )
            except NotificationError as exc:
                return _json_error(exc.message)
        if method.verified_at is not None:
            message = _("Push was already on for this device.")
        elif test_wait(method=method):
            message = _("Push is on for this device: open the test message sent to it.")
        else:
            contact_method_test(method=method, acting_user=user)
            message = _("Push is on for this device. A test message is on its way: open it.")
    messages.success(request, message)
    return JsonResponse({"id": method.pk, "message": message}, status=201 if created else 200)


@require_http_methods(["GET", "HEAD"])
def contact_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link of a test message: the method is confirmed, and pages may go to it. No log-in:
    the link is opened where the message arrived (a phone's chat app), and the signed token is
    the proof that it did."""
    try:
        method = contact_method_verify(token=token)
    except NotificationError as exc:
        return render(
            request, "agency/contact/verify_failed.html", {"reason": exc.message}, status=400
        )
    return render(request, "agency/contact/verified.html", {"method": method})


@require_http_methods(["GET", "HEAD"])
def service_worker(request: HttpRequest) -> HttpResponse:
    """push.js's service worker, at the root so that its scope is the whole portal: it shows
    the pushed message and opens its link when tapped."""
    response = HttpResponse(
        SERVICE_WORKER.read_bytes(), content_type="text/javascript; charset=utf-8"
    )
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
