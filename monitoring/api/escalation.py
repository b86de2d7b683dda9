"""The brand-host API of the brand's escalation policy: its steps and options, whom each step
would page now, and the brand's recent escalations. The agency's people on the brand read it;
agency admins and account managers change it (the service refuses others); a client viewer
sees nothing of it (the agency's people and their order are the agency's)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api_base import TenantAPIView, acting_user, validated_body
from agency.selectors import Access, client_access
from monitoring.api.intake import LocalTimeField
from monitoring.models import Escalation, EscalationTarget
from monitoring.services.escalation import (
    MAX_STEPS,
    escalation_policy_get,
    escalation_policy_update,
    escalation_preview,
)

RECENT = 20


class StepSerializer(serializers.Serializer[Any]):
    target = serializers.ChoiceField(choices=EscalationTarget.choices)
    wait_minutes = serializers.IntegerField(
        min_value=1, max_value=240, help_text="Minutes to wait for an acknowledgement."
    )


class PersonSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return str(user.full_name or user.email)


class StepNowSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    target = serializers.CharField()
    people = PersonSerializer(many=True, help_text="Whom the step would page now.")
    fallback = serializers.BooleanField(
        help_text="Nobody for this step now: the duty manager (else the admins) instead."
    )


class EscalationRunSerializer(serializers.ModelSerializer[Escalation]):
    class Meta:
        model = Escalation
        fields = ["id", "alert", "level", "state", "round", "step", "next_at", "started_at"]


class PolicySerializer(serializers.Serializer[Any]):
    steps = StepSerializer(many=True, min_length=1, max_length=MAX_STEPS)  # type: ignore[call-arg]
    repeat = serializers.IntegerField(
        min_value=0, max_value=10, help_text="How many times the chain starts again."
    )
    watch_waits_for_morning = serializers.BooleanField(
        help_text="A watch raised at night pages at `morning_at` (issues and crises never wait)."
    )
    morning_at = LocalTimeField(help_text="When the morning starts on the brand's clock.")
    updated_at = serializers.DateTimeField(read_only=True)


class PolicyViewSerializer(PolicySerializer):
    now = StepNowSerializer(many=True, read_only=True)
    recent = EscalationRunSerializer(many=True, read_only=True)


class EscalationPolicyView(TenantAPIView):
    def _agency_only(self, request: Request) -> None:
        if client_access(user=acting_user(request), client=self.client) is not Access.FULL:
            raise PermissionDenied("The escalation policy is the agency's.")

    def _body(self) -> dict[str, Any]:
        policy = escalation_policy_get(client=self.client)
        return {
            "steps": list(policy.steps.values("target", "wait_minutes")),
            "repeat": policy.repeat,
            "watch_waits_for_morning": policy.watch_waits_for_morning,
            "morning_at": policy.morning_at,
            "updated_at": policy.updated_at,
            "now": escalation_preview(client=self.client),
            "recent": list(Escalation.objects.order_by("-id")[:RECENT]),
        }

    @extend_schema(responses=PolicyViewSerializer, summary="The brand's escalation policy")
    def get(self, request: Request) -> Response:
        self._agency_only(request)
        return Response(PolicyViewSerializer(self._body()).data)

    @extend_schema(
        request=PolicySerializer,
        responses=PolicyViewSerializer,
        summary="Replace the brand's escalation policy (agency admins and account managers)",
    )
    def put(self, request: Request) -> Response:
        self._agency_only(request)
        data = validated_body(request, PolicySerializer)
        escalation_policy_update(
            client=self.client,
            acting_user=acting_user(request),
            steps=[(s["target"], s["wait_minutes"]) for s in data["steps"]],
            repeat=data["repeat"],
            watch_waits_for_morning=data["watch_waits_for_morning"],
            morning_at=data["morning_at"],
        )
        return Response(PolicyViewSerializer(self._body()).data)
