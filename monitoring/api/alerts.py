"""The brand-host API of crisis detection: waves with their verdicts, and alerts.

Everyone with access to the brand reads; agency staff act on alerts (client viewers are
read-only by the default permission). Lists are cursor-paginated, newest first.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api_base import TenantGenericAPIView, acting_user, reject_unknown_fields
from agency.api_schema import error_response
from monitoring.models import Alert, AlertEvent, AlertStatus, Level, Wave, WaveStatus
from monitoring.selectors import waves_filter
from monitoring.services.alerts import alert_acknowledge, alert_dismiss, alert_resolve


class PeakSerializer(serializers.Serializer[Any]):
    """The window of the wave that stood out most; empty until one has."""

    series = serializers.CharField(
        required=False,
        help_text="The detector's series: `all` or a platform, `:neg` for negative mentions.",
    )
    value = serializers.FloatField(required=False, help_text="Mentions in the window.")
    expected = serializers.FloatField(required=False, help_text="The usual for that window.")
    minutes = serializers.IntegerField(required=False, help_text="The window's length.")
    start = serializers.DateTimeField(required=False)
    evidence = serializers.FloatField(required=False, help_text=">= 1: over the detector's bar.")
    negative = serializers.BooleanField(required=False, help_text="A window of negative mentions.")


class MultiplierSerializer(serializers.Serializer[Any]):
    """A negative voice with a large reach (many followers, a journalist, an influencer)."""

    handle = serializers.CharField()
    platform = serializers.CharField()
    followers = serializers.IntegerField(allow_null=True)
    journalist = serializers.BooleanField()
    influencer = serializers.BooleanField()


class FiguresSerializer(serializers.Serializer[Any]):
    """What detection last counted of the wave (monitoring.services.detection); a key is
    absent until detection has counted it."""

    peak = PeakSerializer(required=False)
    points = serializers.IntegerField(required=False, help_text="The verdict's score.")
    negative_authors = serializers.IntegerField(required=False)
    emotional_negative = serializers.IntegerField(
        required=False, help_text="Negative mentions in emotional words."
    )
    platforms = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Negative mentions by platform.",
    )
    multipliers = MultiplierSerializer(many=True, required=False)
    reposts = serializers.IntegerField(required=False, help_text="Shares of other posts.")
    detector_alert = serializers.BooleanField(
        required=False, help_text="A volume detector went over its bar during the wave."
    )


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string"},
        "description": "Why the wave has its level, in plain words, strongest first.",
    }
)
class ReasonsField(serializers.JSONField):
    """`reasons` as stored (a list of sentences), typed for the schema."""


@extend_schema_field(FiguresSerializer)
class FiguresField(serializers.JSONField):
    """`figures` as stored, typed for the schema."""


class WaveSerializer(serializers.ModelSerializer[Wave]):
    alert: serializers.PrimaryKeyRelatedField[Alert] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    reasons = ReasonsField(read_only=True)
    figures = FiguresField(read_only=True)

    class Meta:
        model = Wave
        fields = [
            "id",
            "status",
            "level",
            "peak_level",
            "reasons",
            "origin_platform",
            "started_at",
            "last_activity_at",
            "ended_at",
            "judged_at",
            "mention_count",
            "negative_count",
            "figures",
            "alert",
        ]


class AlertSerializer(serializers.ModelSerializer[Alert]):
    wave = WaveSerializer(read_only=True)
    reasons = ReasonsField(read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "status",
            "level",
            "title",
            "reasons",
            "origin_platform",
            "opened_at",
            "escalated_at",
            "updated_at",
            "acknowledged_at",
            "acknowledged_by",
            "closed_at",
            "closed_by",
            "close_note",
            "wave",
        ]


class AlertEventSerializer(serializers.ModelSerializer[AlertEvent]):
    """One change on the alert's timeline, oldest first."""

    class Meta:
        model = AlertEvent
        fields = ["at", "kind", "level", "actor", "note"]
        extra_kwargs = {
            "level": {"help_text": "The alert's level after the change."},
            "actor": {"help_text": "The e-mail of who acted; empty for detection."},
        }


class AlertDetailSerializer(AlertSerializer):
    events = AlertEventSerializer(many=True, read_only=True)

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "events"]


CLOSED = error_response("The alert is already resolved or dismissed.")


class WaveFilters(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=WaveStatus.choices, required=False)
    level = serializers.ChoiceField(
        choices=Level.choices, required=False, help_text="The peak level."
    )


class AlertFilters(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=AlertStatus.choices, required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False)


def _filtered(queryset: QuerySet[Any], filters: serializers.Serializer[Any]) -> QuerySet[Any]:
    filters.is_valid(raise_exception=True)
    return queryset.filter(**filters.validated_data)


class WaveList(TenantGenericAPIView, generics.ListAPIView):  # type: ignore[misc]
    serializer_class = WaveSerializer
    pagination_class = type("ByStarted", (CursorPagination,), {"ordering": ("-started_at", "-id")})

    def scoped_queryset(self) -> QuerySet[Wave]:
        filters = WaveFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return waves_filter(client=self.client, level=data.get("level"), status=data.get("status"))

    @extend_schema(parameters=[WaveFilters], summary="Waves with their verdicts, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class WaveDetail(TenantGenericAPIView, generics.RetrieveAPIView):  # type: ignore[misc]
    serializer_class = WaveSerializer

    def scoped_queryset(self) -> QuerySet[Wave]:
        return Wave.objects.select_related("alert")


class AlertsScope(TenantGenericAPIView):
    serializer_class = AlertSerializer

    def scoped_queryset(self) -> QuerySet[Alert]:
        return Alert.objects.select_related("wave")


class AlertList(AlertsScope, generics.ListAPIView):  # type: ignore[misc]
    pagination_class = type("ByOpened", (CursorPagination,), {"ordering": ("-opened_at", "-id")})

    def scoped_queryset(self) -> QuerySet[Alert]:
        return _filtered(super().scoped_queryset(), AlertFilters(data=self.request.query_params))

    @extend_schema(parameters=[AlertFilters], summary="Alerts, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class AlertDetail(AlertsScope, generics.RetrieveAPIView):  # type: ignore[misc]
    serializer_class = AlertDetailSerializer

    def scoped_queryset(self) -> QuerySet[Alert]:
        return super().scoped_queryset().prefetch_related("events")


class AlertAcknowledge(AlertsScope):
    @extend_schema(
        request=None,
        responses={200: AlertSerializer, 409: error_response("The alert is not new.")},
        summary="Acknowledge: I'm on it",
    )
    def post(self, request: Request, pk: int) -> Response:
        reject_unknown_fields(request.data, set())
        alert = alert_acknowledge(
            client=self.client, alert=self.get_object(), acting_user=acting_user(request)
        )
        return Response(AlertSerializer(alert).data)


class ResolveSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class AlertResolve(AlertsScope):
    @extend_schema(
        request=ResolveSerializer,
        responses={200: AlertSerializer, 409: CLOSED},
        summary="Resolve",
    )
    def post(self, request: Request, pk: int) -> Response:
        reject_unknown_fields(request.data, {"note"})
        body = ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = alert_resolve(
            client=self.client,
            alert=self.get_object(),
            acting_user=acting_user(request),
            note=body.validated_data["note"],
        )
        return Response(AlertSerializer(alert).data)


class DismissSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000, help_text="Why this is not a crisis.")


class AlertDismiss(AlertsScope):
    @extend_schema(
        request=DismissSerializer,
        responses={200: AlertSerializer, 409: CLOSED},
        summary="Dismiss as noise",
    )
    def post(self, request: Request, pk: int) -> Response:
        reject_unknown_fields(request.data, {"reason"})
        body = DismissSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = alert_dismiss(
            client=self.client,
            alert=self.get_object(),
            acting_user=acting_user(request),
            reason=body.validated_data["reason"],
        )
        return Response(AlertSerializer(alert).data)
