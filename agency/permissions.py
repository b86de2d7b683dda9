"""API permissions. TenantAccess is the default for every view, so new endpoints fail closed."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from agency.selectors import Access, client_access, user_can_manage_clients, user_is_agency


class TenantAccess(BasePermission):
    """On a brand host: a member of that brand (client viewers read only).
    On the agency host: agency staff, account managers and admins."""

    message = "You have no access to this brand."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        tenant = getattr(request._request, "tenant", None)
        if tenant is None:
            return False
        if tenant.is_public:
            self.message = "Only agency staff may use the agency API."
            return user_is_agency(user=user)
        access = client_access(user=user, client=tenant)
        if access is None:
            self.message = "You have no access to this brand."
            return False
        if access is Access.READ and request.method not in SAFE_METHODS:
            self.message = "Your access to this brand is read-only."
            return False
        return True


class Authenticated(BasePermission):
    """Any signed-in user: for endpoints about the user themself (e.g. /me)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated)


class ManagesClients(BasePermission):
    """Onboarding, offboarding and exports: agency admins and account managers."""

    message = "Only agency admins and account managers manage brands."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated) and user_can_manage_clients(
            user=request.user
        )


class AgencyPeople(BasePermission):
    """The agency's own people (admins, account managers, staff): the roster and its board."""

    message = "The watch's roster and coverage are for the agency's people."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated) and user_is_agency(
            user=request.user
        )
