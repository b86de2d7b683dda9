"""The agency-host API of a person's notifications: their contact methods (never a target: only
its hint), a test message to one, their personal rules, and the recent messages to them. For
the agency's people; another person's method is not found. The services are
agency.notifications', the same the page calls (agency.views_contact).

Public schema only.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from agency.api_base import StorableJSONField, acting_user, reject_unknown_fields, validated_body
from agency.forms_contact import MAX_AFTER_MINUTES
from agency.models import ContactKind, ContactMethod, Notification
from agency.notifications import (
    contact_method_add,
    contact_method_remove,
    contact_method_test,
    notification_rules_set,
)
from agency.parsers import StrictJSONParser
from agency.permissions import AgencyPeople
from agency.views_contact import (
    RECENT,
    contact_methods_of,
    own_method,
    recent_notifications,
    test_wait,
)


class ContactMethodSerializer(serializers.ModelSerializer[ContactMethod]):
    hint = serializers.CharField(
        source="target_hint",
        help_text="What may be shown of the target: the address, or the service's scheme and "
        "host (the target itself is never answered).",
    )
    verified = serializers.SerializerMethodField(
        help_text="A test message reached it and was confirmed: pages may go to it."
    )

    class Meta:
        model = ContactMethod
        fields = ["id", "kind", "label", "hint", "verified", "verified_at", "created_at"]

    def get_verified(self, method: ContactMethod) -> bool:
        return method.verified_at is not None


PUSH_SUBSCRIPTION = {
    "type": "object",
    "description": "A browser's PushSubscription.toJSON().",
    "properties": {
        "endpoint": {"type": "string", "format": "uri"},
        "keys": {
            "type": "object",
            "properties": {"p256dh": {"type": "string"}, "auth": {"type": "string"}},
            "required": ["p256dh", "auth"],
        },
    },
    "required": ["endpoint", "keys"],
}


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "description": "An e-mail address, or an apprise URL."},
            PUSH_SUBSCRIPTION,
        ]
    }
)
class TargetField(StorableJSONField):
    """An address or URL (text), or a push subscription (an object)."""


class ContactMethodCreateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    target = TargetField(
        help_text="`email`: the address; `apprise`: the service's apprise URL (tgram://, "
        "slack://, workflows:// for Microsoft Teams, signal://, ntfy://, pover://, SMS "
        "gateways such as twilio://); `push`: the browser's PushSubscription.toJSON()."
    )
    # (a field named like Field.label: the stubs see the attribute, DRF the declared field)
    label = serializers.CharField(  # type: ignore[assignment]
        max_length=100, required=False, allow_blank=True, default=""
    )


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = [
            "id",
            "topic",
            "subject",
            "kind",
            "method",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "next_attempt_at",
            "delivered_at",
        ]
        extra_kwargs = {
            "method": {"help_text": "The contact method; null: the account's e-mail address."}
        }


class RuleSerializer(serializers.Serializer[Any]):
    method = serializers.IntegerField(help_text="One of your contact methods.")
    after_minutes = serializers.IntegerField(min_value=0, max_value=MAX_AFTER_MINUTES)


class ContactMethodsView(APIView):
    """Your contact methods; a new one waits for its test message's confirmation."""

    permission_classes = [AgencyPeople]

    @extend_schema(responses=ContactMethodSerializer(many=True), summary="Your contact methods")
    def get(self, request: Request) -> Response:
        methods = contact_methods_of(user=acting_user(request))
        return Response(ContactMethodSerializer(methods, many=True).data)

    @extend_schema(
        request=ContactMethodCreateSerializer,
        responses={201: ContactMethodSerializer},
        summary="Add a contact method (unverified until its test message is confirmed)",
    )
    def post(self, request: Request) -> Response:
        data = validated_body(request, ContactMethodCreateSerializer)
        method = contact_method_add(
            user=acting_user(request), kind=data["kind"], target=data["target"], label=data["label"]
        )
        return Response(ContactMethodSerializer(method).data, status=status.HTTP_201_CREATED)


ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The contact method's id.")


class ContactMethodView(APIView):
    permission_classes = [AgencyPeople]

    @extend_schema(parameters=[ID], responses={204: None}, summary="Remove a contact method")
    def delete(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        contact_method_remove(method=own_method(user=user, pk=pk), acting_user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TestMessageThrottle(BaseThrottle):
    """Test messages to one method: one a minute, a few an hour (views_contact.test_wait)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        user = acting_user(request)
        method = ContactMethod.objects.filter(pk=int(view.kwargs["pk"]), user=user).first()
        self.seconds = test_wait(method=method) if method is not None else 0
        return not self.seconds

    def wait(self) -> float | None:
        return float(self.seconds)


class ContactMethodTestView(APIView):
    permission_classes = [AgencyPeople]
    throttle_classes = [TestMessageThrottle]

    @extend_schema(
        parameters=[ID],
        request=None,
        responses={202: NotificationSerializer},
        summary="Send a test message to a contact method",
        description="The message (in the outbox, sent by the worker) carries a link that "
        "confirms the method once opened. One a minute and five an hour per method.",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        row = contact_method_test(method=own_method(user=user, pk=pk), acting_user=user)
        return Response(NotificationSerializer(row).data, status=status.HTTP_202_ACCEPTED)


class NotificationRulesView(APIView):
    """Your rules: which method a page reaches, how many minutes after it. Without rules a page
    reaches every verified method at once (without one, the account's e-mail address); a
    crisis reaches every verified method at once, whatever the rules."""

    permission_classes = [AgencyPeople]
    parser_classes = [StrictJSONParser]  # a list of objects has no form encoding

    def _answer(self, request: Request) -> Response:
        rules = acting_user(request).notification_rules.order_by("after_minutes", "id")
        data = [{"method": r.method_id, "after_minutes": r.after_minutes} for r in rules]
        return Response(RuleSerializer(data, many=True).data)

    @extend_schema(responses=RuleSerializer(many=True), summary="Your notification rules")
    def get(self, request: Request) -> Response:
        return self._answer(request)

    @extend_schema(
        request=RuleSerializer(many=True),
        responses=RuleSerializer(many=True),
        summary="Replace your notification rules",
    )
    def put(self, request: Request) -> Response:
        if not isinstance(request.data, list):
            raise ValidationError({"non_field_errors": ["Expected a list of rules."]})
        for item in request.data:
            reject_unknown_fields(item, {"method", "after_minutes"})
        serializer = RuleSerializer(data=request.data, many=True)
        serializer.is_valid(raise_exception=True)
        rules = [(r["method"], r["after_minutes"]) for r in serializer.validated_data]
        with transaction.atomic():
            notification_rules_set(user=acting_user(request), rules=rules)
        return self._answer(request)


class NewestFirst(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = RECENT


class NotificationsView(generics.ListAPIView[Notification]):
    """The messages to you, newest first: what they were about, how they were sent, whether
    they arrived. Never another person's."""

    permission_classes = [AgencyPeople]
    serializer_class = NotificationSerializer
    pagination_class = NewestFirst

    def get_queryset(self) -> Any:
        return recent_notifications(user=acting_user(self.request))

    @extend_schema(summary="Recent messages to you")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
