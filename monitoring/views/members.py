"""Who has access to the brand: the agency-wide roles, its agency staff, its client viewers.
Agency admins and account managers grant and revoke access here through the services the
agency uses everywhere (agency.services.membership_grant, membership_revoke)."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_GET, require_POST

from agency.adapters import AccountAdapter
from agency.models import Role, User
from agency.selectors import brand_members, user_by_email, user_can_manage_clients
from agency.services import MembershipError, membership_grant_by_email, membership_revoke
from clients.models import Client
from monitoring.forms import MemberGrantForm, MemberRevokeForm
from monitoring.views.base import brand_of, writes

AGENCY_WIDE = gettext_lazy(
    "Admins and account managers see every brand; that role is given and taken in the agency's "
    "admin, not here."
)
STAFF = gettext_lazy("They work on this brand: act on its alerts, change its settings.")
VIEWERS = gettext_lazy("The brand's own people: they read everything and change nothing.")


def _manages(request: HttpRequest) -> bool:
    """Access is given and taken by agency admins and account managers, not staff or viewers."""
    return writes(request) and user_can_manage_clients(user=request.user)


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    client = brand_of(request)
    members, manages = brand_members(client=client), _manages(request)
    return {
        "client": client,
        "groups": [
            (_("Agency-wide"), AGENCY_WIDE, members.agency_wide, False),
            (pgettext("people on a brand", "Agency staff"), STAFF, members.staff, manages),
            (pgettext("people on a brand", "Client viewers"), VIEWERS, members.viewers, manages),
        ],
        "manages": manages,
        "grant_form": extra.pop("grant_form", None) or MemberGrantForm(),
        **extra,
    }


@require_GET
def members_page(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/members.html", _context(request))


@require_POST
def member_grant(request: HttpRequest) -> HttpResponse:
    """Give a person access to this brand; an unknown address becomes a user without a
    password, who gets allauth's password-reset mail to set one."""
    if not _manages(request):
        raise PermissionDenied
    client = brand_of(request)
    form = MemberGrantForm(request.POST)
    if form.is_valid():
        email, role = form.cleaned_data["email"], Role(form.cleaned_data["role"])
        try:
            user, _new = membership_grant_by_email(
                email=email,
                role=role,
                client=client,
                acting_user=request.user,  # type: ignore[arg-type]
                on_new_user=lambda invited: _send_invitation(request, invited, client),
            )
        except MembershipError as exc:
            form.add_error(exc.field if exc.field in form.fields else "email", exc.message)
        else:
            messages.success(
                request,
                _("%(email)s has access as %(role)s.") % {"email": user.email, "role": role.label},
            )
            return redirect("members-page")
    context = _context(request, grant_form=form)
    return render(request, "monitoring/members.html", context, status=400)


@require_POST
def member_revoke(request: HttpRequest) -> HttpResponse:
    if not _manages(request):
        raise PermissionDenied
    client = brand_of(request)
    form = MemberRevokeForm(request.POST)
    if not form.is_valid():
        context = _context(request, revoke_error=_("Name the person by their e-mail address."))
        return render(request, "monitoring/members.html", context, status=400)
    email = form.cleaned_data["email"]
    user = user_by_email(email=email)
    try:
        revoked = user is not None and membership_revoke(
            client=client,
            user=user,
            acting_user=request.user,  # type: ignore[arg-type]
        )
    except MembershipError as exc:
        context = _context(request, revoke_error=exc.message)
        return render(request, "monitoring/members.html", context, status=400)
    if revoked:
        messages.success(request, _("%(email)s no longer has access.") % {"email": email})
    else:
        messages.info(request, _("%(email)s had no role on this brand.") % {"email": email})
    return redirect("members-page")


def _send_invitation(request: HttpRequest, user: User, client: Client) -> None:
    """The mail that tells a new person they have access and lets them set a password."""
    # Sent on commit, maybe after allauth's middleware has left the request: enter it again.
    with allauth_context.request_context(request):
        adapter = get_adapter(request)
        assert isinstance(adapter, AccountAdapter)
        adapter.send_invitation_mail(user=user, client=client, inviter=request.user)  # type: ignore[arg-type]
