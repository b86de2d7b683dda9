"""The brand-host API of the brand's response settings: office hours and holidays (the timing a
playbook is chosen by, on the brand's clock), whether a crisis alert opens its incident at
once, and whether crisis replies wait for the approval of the account manager or the client.

Everyone with access to the brand reads; the agency's people change them (a client viewer's
PATCH is refused by TenantAccess); only account managers and admins change
`approval_required` (the service refuses anyone else with a 403). The write is
playbooks.services.response_settings_update; its SettingsError is a 400 by field.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api_base import TenantAPIView, acting_user, validated_body
from agency.api_schema import error_response
from agency.selectors import Access, client_access, user_can_manage_clients
from monitoring.api.intake import LocalTimeField
from playbooks.choice import utc_offset
from playbooks.selectors import response_settings_get
from playbooks.sending import approval_policy
from playbooks.services import MAX_HOLIDAYS, response_settings_update


class ResponseSettingsSerializer(serializers.Serializer[Any]):
    """The brand's response settings. On PATCH every field may be left out (it stays)."""

    office_starts = LocalTimeField(
        required=False, help_text="When office hours start on the brand's clock (HH:MM)."
    )
    office_ends = LocalTimeField(
        required=False, help_text="When they end, the same day, after the start (HH:MM)."
    )
    holidays = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        max_length=1000,
        help_text=(
            "Days the brand is closed, as YYYY-MM-DD; kept once each and in order, at most "
            f"{MAX_HOLIDAYS}. A PATCH gives the whole list."
        ),
    )
    auto_incident_for_crisis = serializers.BooleanField(
        required=False,
        help_text="A crisis alert opens its incident at once (otherwise a person opens it).",
    )
    approval_required = serializers.BooleanField(
        required=False,
        help_text=(
            "Crisis replies and posts wait for the approval of the brand's account manager or "
            "the client before they go out. Only account managers and admins change it."
        ),
    )
    timezone = serializers.CharField(
        read_only=True, help_text="The brand's time zone, whose clock the times are on."
    )
    utc_offset = serializers.CharField(
        read_only=True, help_text="The zone's offset from UTC now, e.g. +01:00."
    )
    updated_at = serializers.DateTimeField(read_only=True)
    may_change = serializers.BooleanField(
        read_only=True, help_text="You may change the settings (the agency's people)."
    )
    may_change_approval = serializers.BooleanField(
        read_only=True, help_text="You may change `approval_required` (managers and admins)."
    )


class ResponseSettingsView(TenantAPIView):
    def _answer(self, request: Request) -> Response:
        current = response_settings_get(client=self.client)
        user = acting_user(request)
        full = client_access(user=user, client=self.client) is Access.FULL
        data = {
            "office_starts": current.office_starts,
            "office_ends": current.office_ends,
            "holidays": [str(day) for day in current.holidays],
            "auto_incident_for_crisis": current.auto_incident_for_crisis,
            "approval_required": approval_policy(client=self.client),
            "timezone": self.client.timezone,
            "utc_offset": utc_offset(timezone.now().astimezone(self.client.zone)),
            "updated_at": current.updated_at,
            "may_change": full,
            "may_change_approval": full and user_can_manage_clients(user=user),
        }
        return Response(ResponseSettingsSerializer(data).data)

    @extend_schema(
        responses=ResponseSettingsSerializer,
        summary="The brand's response settings: office hours, holidays, incidents, approval",
    )
    def get(self, request: Request) -> Response:
        return self._answer(request)

    @extend_schema(
        request=ResponseSettingsSerializer,
        responses={
            200: ResponseSettingsSerializer,
            403: error_response(
                "Read-only access, or `approval_required` changed by someone who is not an "
                "account manager or admin."
            ),
        },
        summary="Change the brand's response settings (the fields given)",
    )
    def patch(self, request: Request) -> Response:
        data = validated_body(request, ResponseSettingsSerializer)
        response_settings_update(client=self.client, acting_user=acting_user(request), **data)
        return self._answer(request)
