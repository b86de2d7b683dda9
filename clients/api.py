"""The agency-host API of the clients app: brands, onboarding, exports, offboarding."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api_base import acting_user, reject_unknown_fields
from agency.api_schema import error_response
from agency.models import User
from agency.permissions import ManagesClients, TenantAccess
from agency.selectors import clients_for_user
from clients.models import Client, ClientExport, ExportStatus, Language
from clients.services import (
    client_export_archive,
    client_export_request,
    client_offboard,
    client_onboard,
)


class ClientSerializer(serializers.ModelSerializer[Client]):
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Client
        fields = ["name", "slug", "timezone", "language", "url", "created_at"]


class OnboardSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    slug = serializers.CharField(max_length=40)
    timezone = serializers.CharField(max_length=64, default="UTC")
    language = serializers.ChoiceField(choices=Language.choices, default=Language.ENGLISH)


class ExportSerializer(serializers.ModelSerializer[ClientExport]):
    # None when no user asked (the offboard_brand command) or the user is gone.
    requested_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="email", read_only=True, allow_null=True
    )

    download_url = serializers.SerializerMethodField(
        help_text="Where to download the archive (a zip), once it is done; null before, and "
        "once its brand is offboarded."
    )

    class Meta:
        model = ClientExport
        fields = [
            "id",
            "client_slug",
            "reason",
            "status",
            "size_bytes",
            "sha256",
            "row_counts",
            "error",
            "requested_by",
            "created_at",
            "finished_at",
            "download_url",
        ]

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_download_url(self, export: ClientExport) -> str | None:
        if export.status != ExportStatus.DONE or not export.client_id or self.context.get("gone"):
            return None
        path = reverse(
            "v1:client-export-download",
            urlconf="agency.urls_public",
            kwargs={"slug": export.client_slug, "export_id": export.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class BySlug(CursorPagination):
    ordering = "slug"


class NewestFirst(CursorPagination):
    ordering = ("-created_at", "-id")


class ClientViewSet(viewsets.GenericViewSet[Client]):
    """Brands the user covers; onboarding and offboarding for admins and account managers."""

    serializer_class = ClientSerializer
    lookup_field = "slug"
    pagination_class = BySlug

    def get_permissions(self) -> list[Any]:
        if self.action in ("create", "destroy", "exports", "export_download"):
            return [TenantAccess(), ManagesClients()]
        return [TenantAccess()]

    def get_queryset(self) -> Any:
        return clients_for_user(user=self.request.user)

    @extend_schema(summary="Brands you may open")
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ClientSerializer(page, many=True).data)

    @extend_schema(summary="One brand")
    def retrieve(self, request: Request, slug: str) -> Response:
        return Response(ClientSerializer(self.get_object()).data)

    @extend_schema(
        request=OnboardSerializer,
        responses={
            201: ClientSerializer,
            409: error_response("A brand with this slug (or its host) exists already."),
        },
        summary="Onboard a brand",
    )
    def create(self, request: Request) -> Response:
        reject_unknown_fields(request.data, set(OnboardSerializer().fields))
        serializer = OnboardSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        client = client_onboard(
            name=data["name"],
            slug=data["slug"],
            timezone_name=data["timezone"],
            language=data["language"],
            acting_user=acting_user(request),
        )
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: ExportSerializer}, summary="Offboard a brand: archive, then drop"
    )
    def destroy(self, request: Request, slug: str) -> Response:
        export = client_offboard(client=self.get_object(), acting_user=acting_user(request))
        # (the archive outlives the brand, but not the brand's address)
        return Response(ExportSerializer(export, context={"gone": True}).data)

    @extend_schema(
        methods=["GET"], responses=ExportSerializer(many=True), summary="The brand's exports"
    )
    @extend_schema(
        methods=["POST"], request=None, responses={202: ExportSerializer}, summary="Queue an export"
    )
    @action(detail=True, methods=["get", "post"], pagination_class=NewestFirst)
    def exports(self, request: Request, slug: str) -> Response:
        client = self.get_object()
        if request.method == "POST":
            export = client_export_request(client=client, acting_user=acting_user(request))
            return Response(ExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)
        exports = ClientExport.objects.filter(client=client).select_related("requested_by")
        # (the viewset's type is of brands; this page is of their exports)
        page = self.paginate_queryset(exports)  # type: ignore[arg-type]
        context = {"request": request}
        return self.get_paginated_response(ExportSerializer(page, many=True, context=context).data)

    @extend_schema(
        parameters=[OpenApiParameter("export_id", int, OpenApiParameter.PATH)],
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The archive, as `download_url` gives it."
            ),
            404: error_response("No finished export with this id of this brand."),
        },
        summary="Download an export's archive",
        description="The zip of a finished export (its `download_url`), for admins and account "
        "managers; its `sha256` is on the export.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"exports/(?P<export_id>[0-9]{1,18})/download",
        url_name="export-download",
    )
    def export_download(self, request: Request, slug: str, export_id: str) -> FileResponse:
        archive = client_export_archive(client=self.get_object(), export_id=int(export_id))
        if archive is None:
            raise NotFound("No finished export with this id of this brand.")
        # Streamed from the file in blocks, never read whole into memory.
        return FileResponse(
            archive.open("rb"),
            as_attachment=True,
            filename=archive.name,
            content_type="application/zip",
        )
