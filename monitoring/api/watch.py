"""The brand-host API of the watch log: the summary of a period with its checks, newest first
and cursor-paginated (monitoring.selectors.watch_log, as the page), and recording a check
(monitoring.services.watch.watch_check_record). Everyone on the brand reads the log, which is
the proof for the client; client viewers do not record checks (403, the default permission,
and the service refuses them too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api_base import TenantAPIView, acting_user, reject_unknown_fields
from monitoring.models import WatchCheck
from monitoring.selectors import watch_log
from monitoring.services.watch import MAX_NOTE, watch_check_record

DEFAULT_PERIOD = timedelta(days=7)
LONGEST_PERIOD = timedelta(days=93)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_ID = 2**63 - 1


class WatchCheckSerializer(serializers.ModelSerializer[WatchCheck]):
    alert: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The alert the check cites, if any."
    )

    class Meta:
        model = WatchCheck
        fields = ["id", "checked_at", "by", "outcome", "note", "alert"]
        extra_kwargs = {"by": {"help_text": "The e-mail of who checked."}}


class StretchSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    minutes = serializers.IntegerField(help_text="Its length, in whole minutes.")


class CheckerSerializer(serializers.Serializer[Any]):
    email = serializers.CharField()
    checks = serializers.IntegerField()


class WatchSummarySerializer(serializers.Serializer[Any]):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    checks = serializers.IntegerField(help_text="Checks made in the period.")
    by = CheckerSerializer(many=True, help_text="Who checked, most checks first.")
    longest_without_check = StretchSerializer(
        help_text="The longest stretch without a check; the period's edges count."
    )
    last_checked_at = serializers.DateTimeField(
        allow_null=True, help_text="The latest check ever made on the brand."
    )
    interval_minutes = serializers.IntegerField(
        help_text="How often the brand is to be checked now (day or night, its settings)."
    )
    due = serializers.BooleanField(help_text="The last check is older than that interval.")


class WatchLogSerializer(serializers.Serializer[Any]):
    summary = WatchSummarySerializer()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = WatchCheckSerializer(many=True)


class WatchFilters(serializers.Serializer[Any]):
    since = serializers.DateTimeField(
        required=False, help_text="The period's start; 7 days before `until` if not given."
    )
    until = serializers.DateTimeField(
        required=False, help_text="The period's end; now if not given, and never after now."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        now = timezone.now()
        until = min(attrs.get("until") or now, now)
        if until < EARLIEST:
            raise serializers.ValidationError({"until": ["Give a time after 2000-01-01."]})
        since = attrs.get("since") or until - DEFAULT_PERIOD
        if since < EARLIEST:
            raise serializers.ValidationError({"since": ["Give a time after 2000-01-01."]})
        if since > until:
            raise serializers.ValidationError({"since": ["The period starts after it ends."]})
        if until - since > LONGEST_PERIOD:
            raise serializers.ValidationError({"since": ["A period is at most 93 days."]})
        return {"since": since, "until": until}


class ByChecked(CursorPagination):
    ordering = ("-checked_at", "-id")


class WatchLogView(TenantAPIView):
    @extend_schema(
        parameters=[
            WatchFilters,
            OpenApiParameter("cursor", OpenApiTypes.STR, description="The page's cursor."),
        ],
        responses=WatchLogSerializer,
        summary="The watch log: the period's summary and its checks, newest first",
    )
    def get(self, request: Request) -> Response:
        filters = WatchFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        log = watch_log(client=self.client, **filters.validated_data)
        paginator = ByChecked()
        page = paginator.paginate_queryset(log.checks, request, view=self) or []
        summary = {
            "since": log.since,
            "until": log.until,
            "checks": log.count,
            "by": [{"email": email, "checks": n} for email, n in log.by],
            "longest_without_check": {
                "start": log.longest.start,
                "end": log.longest.end,
                "minutes": int(log.longest.length.total_seconds() // 60),
            },
            "last_checked_at": log.last_checked_at,
            "interval_minutes": int(log.interval.total_seconds() // 60),
            "due": log.due,
        }
        body = {
            "summary": summary,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": page,
        }
        return Response(WatchLogSerializer(body).data)


class WatchCheckCreateSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_NOTE, default="", trim_whitespace=True
    )
    alert = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_ID,
        help_text="An alert of this brand the check cites ('checked, see alert 12').",
    )


class WatchCheckCreate(TenantAPIView):
    @extend_schema(
        request=WatchCheckCreateSerializer,
        responses={201: WatchCheckSerializer},
        summary="Record a check: I looked (quiet, or see an alert)",
    )
    def post(self, request: Request) -> Response:
        reject_unknown_fields(request.data, {"note", "alert"})
        body = WatchCheckCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        check = watch_check_record(
            client=self.client,
            acting_user=acting_user(request),
            note=body.validated_data["note"],
            alert=body.validated_data["alert"],
        )
        return Response(WatchCheckSerializer(check).data, status=status.HTTP_201_CREATED)
