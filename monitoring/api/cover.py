"""The brand-host API of who covers the brand: who is on duty now, and the hand-offs of the
next 7 days (agency.roster.brand_cover: the schedules naming the brand, then those covering
every brand). Everyone on the brand reads it, client viewers too: it is the proof that someone
watches. Names only, never an e-mail address, and nothing of another brand (the roster lives
in the public schema; only this brand's cover is asked)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api_base import TenantAPIView
from agency.roster import brand_cover, brand_handoffs, person_name

COVER_DAYS = 7


class CoverNowSerializer(serializers.Serializer[Any]):
    primary = serializers.CharField(allow_null=True, help_text="Null: nobody is on duty now.")
    backup = serializers.CharField(allow_null=True)
    schedule = serializers.CharField(allow_null=True, help_text="The schedule they are on.")
    until = serializers.DateTimeField(help_text="When this cover hands over.")


class HandOffSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    primary = serializers.CharField(allow_null=True, help_text="Null: nobody covers it (a gap).")
    schedule = serializers.CharField(allow_null=True)


class CoverSerializer(serializers.Serializer[Any]):
    now = CoverNowSerializer()
    next_days = HandOffSerializer(
        many=True, help_text="The next 7 days as consecutive stretches, from now."
    )


class CoverView(TenantAPIView):
    @extend_schema(
        responses=CoverSerializer, summary="Who watches the brand now and over the next 7 days"
    )
    def get(self, request: Request) -> Response:
        handoffs = brand_handoffs(
            brand_cover(client=self.client, start=timezone.now(), days=COVER_DAYS)
        )
        current = handoffs[0]
        body = {
            "now": {
                "primary": person_name(current.primary),
                "backup": person_name(current.backup),
                "schedule": current.schedule.name if current.schedule else None,
                "until": current.end,
            },
            "next_days": [
                {
                    "start": h.start,
                    "end": h.end,
                    "primary": person_name(h.primary),
                    "schedule": h.schedule.name if h.schedule else None,
                }
                for h in handoffs
            ],
        }
        return Response(CoverSerializer(body).data)
