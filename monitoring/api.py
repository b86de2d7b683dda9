"""The brand-host API of monitoring: the brand and its watch settings."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api_base import TenantAPIView, acting_user, reject_unknown_fields
from agency.selectors import Access, client_access
from monitoring.models import BrandSettings
from monitoring.selectors import brand_settings_get
from monitoring.services import EDITABLE_SETTINGS, brand_settings_update


class BrandSettingsSerializer(serializers.ModelSerializer[BrandSettings]):
    class Meta:
        model = BrandSettings
        fields = [*EDITABLE_SETTINGS, "updated_at"]
        read_only_fields = ["updated_at"]


class BrandSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    slug = serializers.CharField()
    timezone = serializers.CharField()
    language = serializers.CharField()
    access = serializers.ChoiceField(choices=[a.value for a in Access])
    settings = BrandSettingsSerializer()


class BrandView(TenantAPIView):
    @extend_schema(responses=BrandSerializer, summary="The brand this host serves")
    def get(self, request: Request) -> Response:
        access = client_access(user=request.user, client=self.client)
        data = {
            "name": self.client.name,
            "slug": self.client.slug,
            "timezone": self.client.timezone,
            "language": self.client.language,
            "access": access.value if access else None,
            "settings": brand_settings_get(client=self.client),
        }
        return Response(BrandSerializer(data).data)


class BrandSettingsView(TenantAPIView):
    @extend_schema(responses=BrandSettingsSerializer, summary="The brand's watch settings")
    def get(self, request: Request) -> Response:
        return Response(BrandSettingsSerializer(brand_settings_get(client=self.client)).data)

    @extend_schema(
        request=BrandSettingsSerializer,
        responses=BrandSettingsSerializer,
        summary="Change the brand's watch settings (agency staff)",
    )
    def patch(self, request: Request) -> Response:
        reject_unknown_fields(request.data, set(EDITABLE_SETTINGS))
        current = brand_settings_get(client=self.client)
        serializer = BrandSettingsSerializer(current, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = brand_settings_update(
            client=self.client,
            acting_user=acting_user(request),
            changes=dict(serializer.validated_data),
        )
        return Response(BrandSettingsSerializer(updated).data)
