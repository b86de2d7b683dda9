"""The brand-host API of monitoring: the brand and its watch settings, sources, mentions,
dead letters and imports."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator
from typing import Any, Literal, cast

from django.conf import settings
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api_base import (
    StorableJSONField,
    StorableJSONObjectField,
    TenantAPIView,
    TenantGenericAPIView,
    acting_user,
    reject_unknown_fields,
)
from agency.api_schema import AutoSchema, error_response
from agency.parsers import TooLarge, read_capped
from agency.selectors import Access, client_access
from monitoring.exceptions import IngestError
from monitoring.models import (
    Author,
    BrandSettings,
    Channel,
    DeadLetter,
    DeadLetterStatus,
    ImportJob,
    Mention,
    Platform,
    Sentiment,
    Source,
)
from monitoring.payloads import MAX_ITEMS, Batch, read_batch, readable_text
from monitoring.schemas import MAX_TEXT, PLATFORMS
from monitoring.selectors import (
    brand_settings_get,
    dead_letters_filter,
    mentions_filter,
    source_health_of,
    sources_with_stats,
)
from monitoring.services import EDITABLE_SETTINGS, brand_settings_update
from monitoring.services.imports import import_job_create
from monitoring.services.ingestion import dead_letter_store, mentions_ingest
from monitoring.services.polling import source_test_connection
from monitoring.services.sources import (
    dead_letter_discard,
    dead_letter_replay,
    source_create,
    source_update,
)


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
        "description": "A time on the brand's wall clock, HH:MM (no offset: it is local).",
        "example": "20:00",
    }
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time, HH:MM: OpenAPI's `time` format would demand an offset."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)


class BrandSettingsSerializer(serializers.ModelSerializer[BrandSettings]):
    night_starts = LocalTimeField(
        required=False, help_text="When the night interval of the watch log starts."
    )
    night_ends = LocalTimeField(
        required=False, help_text="When the day interval applies again (may be past midnight)."
    )

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


# --- Sources -------------------------------------------------------------------------------------


class HealthSerializer(serializers.Serializer[Any]):
    last_success_at = serializers.DateTimeField(allow_null=True)
    last_error_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()
    last_polled_at = serializers.DateTimeField(allow_null=True)
    next_poll_at = serializers.DateTimeField(allow_null=True)
    poll_failures = serializers.IntegerField()
    lag_seconds = serializers.FloatField(allow_null=True)
    mentions_last_hour = serializers.IntegerField()
    expected_per_hour = serializers.FloatField(allow_null=True)
    silent_for_hours = serializers.FloatField(allow_null=True)
    silent = serializers.BooleanField()
    dead_letters_open = serializers.IntegerField(
        help_text="Items this source received that could not be stored, still open."
    )


class SourceSerializer(serializers.ModelSerializer[Source]):
    settings = StorableJSONObjectField(required=False, help_text="The connector's settings.")
    credentials = serializers.DictField(
        write_only=True, required=False, help_text="Secrets (tokens, app secrets); write only."
    )
    has_credentials = serializers.SerializerMethodField()
    health = serializers.SerializerMethodField()
    webhook_urls = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = [
            "id",
            "public_id",
            "name",
            "platform",
            "kind",
            "settings",
            "is_active",
            "expected_per_hour",
            "pull",
            "credentials",
            "has_credentials",
            "health",
            "webhook_urls",
            "created_at",
        ]
        read_only_fields = ["public_id", "created_at"]

    def get_has_credentials(self, source: Source) -> bool:
        return bool(source.credentials_encrypted)

    @extend_schema_field(HealthSerializer)
    def get_health(self, source: Source) -> dict[str, Any]:
        # The views read sources through sources_with_stats, also after a write.
        health = source_health_of(source)
        return {
            "last_success_at": source.last_success_at,
            "last_error_at": source.last_error_at,
            "last_error": source.last_error,
            "last_polled_at": source.last_polled_at,
            "next_poll_at": source.next_poll_at,
            "poll_failures": source.poll_failures,
            "dead_letters_open": cast(Any, source).dead_letters_open,  # sources_with_stats
            **health.__dict__,
        }

    def get_webhook_urls(self, source: Source) -> dict[str, str]:
        base = f"/api/v1/hooks/{source.public_id}/"
        return {"signed": base, "meta": base + "meta/"}


class SourcesScope(TenantGenericAPIView):
    serializer_class = SourceSerializer

    def scoped_queryset(self) -> QuerySet[Source]:
        return sources_with_stats(client=self.client)


class SourceList(SourcesScope, generics.ListCreateAPIView):  # type: ignore[misc]
    """The brand's sources by name, a cursor page like every list."""

    pagination_class = type("ByName", (CursorPagination,), {"ordering": ("name", "id")})

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        credentials = data.pop("credentials", None)
        source = source_create(
            client=self.client,
            acting_user=acting_user(self.request),
            credentials=credentials,
            **data,
        )
        # Read back with the figures its health needs.
        serializer.instance = self.get_queryset().get(pk=source.pk)


class SourceDetail(SourcesScope, generics.RetrieveUpdateAPIView):  # type: ignore[misc]
    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        credentials = data.pop("credentials", None)
        source_update(
            client=self.client,
            source=serializer.instance,
            acting_user=acting_user(self.request),
            credentials=credentials,
            **data,
        )
        serializer.instance = self.get_object()


class ConnectionCheckSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    details = serializers.DictField()


class SourceTestConnection(SourcesScope):
    """One real request to the platform with the source's settings and credentials; says
    clearly what is wrong (missing setting, refused token, rate limit, bad query)."""

    @extend_schema(request=None, responses=ConnectionCheckSerializer, summary="Test connection")
    def post(self, request: Request, pk: int) -> Response:
        reject_unknown_fields(request.data, set())
        check = source_test_connection(client=self.client, source=self.get_object())
        return Response({"ok": check.ok, "message": check.message, "details": check.details})


# --- Ingestion through the API -------------------------------------------------------------------


# The bound of every count in monitoring.schemas (`Count`).
MAX_COUNT = 10**15


class AuthorInSerializer(serializers.Serializer[Any]):
    """Who posted it (documentation: monitoring.schemas.AuthorIn checks it)."""

    handle = serializers.CharField(max_length=200, help_text="The account's handle.")
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    followers = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_COUNT, allow_null=True
    )


def _count(help_text: str = "Absent or null: unknown, not 0.") -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_COUNT, allow_null=True, help_text=help_text
    )


class MentionInSerializer(serializers.Serializer[Any]):
    """One mention sent in (documentation: monitoring.schemas.MentionIn checks it). No other
    field is taken: an item with one is rejected, with the others of the batch stored."""

    external_id = serializers.CharField(
        max_length=200, help_text="The platform's id of the post; with the source, its identity."
    )
    posted_at = serializers.DateTimeField(help_text="With a time zone; from 2000 to now + 1 day.")
    text = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    url = serializers.URLField(
        required=False, allow_blank=True, max_length=1000, help_text="An http(s) link to the post."
    )
    author = AuthorInSerializer(required=False, allow_null=True)
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        help_text="A language code such as `en`, `nl` or `pt-br`; absent: detected.",
    )
    platform = serializers.ChoiceField(
        choices=sorted(PLATFORMS | {"twitter"}),
        required=False,
        allow_null=True,
        help_text="Absent: the source's platform. `twitter` is read as `x`.",
    )
    thread_id = serializers.CharField(required=False, allow_blank=True, max_length=200)
    parent_id = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="The post this replies to."
    )
    likes = _count()
    shares = _count()
    comments = _count()
    views = _count()
    deleted = serializers.BooleanField(
        required=False,
        help_text="The post was deleted or removed: a stored one is marked, out of the counts.",
    )
    edited_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the post was last edited: a later edit replaces the stored text.",
    )
    repost_of = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="A share (retweet, reblog, crosspost) of the post with this external id.",
    )


class MentionBatchSerializer(serializers.Serializer[Any]):
    mentions = serializers.ListField(
        child=MentionInSerializer(),
        max_length=MAX_ITEMS,
        help_text=f"At most {MAX_ITEMS} mentions, and at most the byte cap in all.",
    )


class FieldErrorSerializer(serializers.Serializer[Any]):
    field = serializers.CharField(
        help_text="The field at fault (`author.handle`), or `item` for the item as a whole."
    )
    message = serializers.CharField()


class RejectionSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField(help_text="The item's place in the batch, from 0.")
    dead_letter = serializers.IntegerField(
        allow_null=True, help_text="The dead letter that keeps the item, to fix and replay."
    )
    # (a declared field, not the serializer's own `errors`: the metaclass takes it out)
    errors = FieldErrorSerializer(many=True)  # type: ignore[assignment]


class IngestResultSerializer(serializers.Serializer[Any]):
    received = serializers.IntegerField()
    accepted = serializers.IntegerField(help_text="Stored now, new.")
    updated = serializers.IntegerField(help_text="Stored before; deleted, edited or completed.")
    duplicates = serializers.IntegerField(help_text="Stored before, with nothing new.")
    rejected = RejectionSerializer(many=True, help_text="The items not stored, each with why.")


class MentionBatchParser(BaseParser):
    """JSON read by `monitoring.payloads.read_batch`: a body whose items cannot all be read is
    still a batch (the unreadable ones become dead letters), never a parse error; the body is
    read with the same byte cap as every door, whatever it says its length is."""

    media_type = "application/json"

    # (DRF takes any value as request.data; its stubs say a mapping)
    def parse(  # type: ignore[override]
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> Batch:
        return read_batch(read_capped(stream), list_key="mentions")


class BatchSchema(AutoSchema):
    """The batch's body as the parser takes it: `{"mentions": [...]}`, or the bare list."""

    def _get_request_body(
        self, direction: Literal["request", "response"] = "request"
    ) -> dict[str, Any] | None:
        body: dict[str, Any] | None = super()._get_request_body(direction)
        if body is None:
            return None
        item = self.resolve_serializer(MentionInSerializer, direction).ref
        content = body["content"]["application/json"]
        content["schema"] = {
            "oneOf": [
                content["schema"],
                {"type": "array", "items": item, "maxItems": MAX_ITEMS},
            ]
        }
        return body


INGESTED = "Each item stored or a duplicate."
SOME_REJECTED = (
    "Some items rejected, each in `rejected` with its field errors and its dead letter; the "
    "others are stored."
)
ALL_REJECTED = "Every item rejected (see `rejected`); each is kept as a dead letter."


class SourceMentionsIngest(TenantGenericAPIView):
    """POST a batch of mentions for one source: `{"mentions": [...]}` or a bare list.

    200: all stored or duplicates; 207: some rejected (the others are stored); 422: all
    rejected. Each rejected item is listed with its field errors and kept as a dead letter,
    also when it is not readable JSON. A body with no list in it is a 400, kept whole as a dead
    letter. At most MAX_ITEMS items and DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413, nothing
    stored). Sending the same items again stores nothing twice: they count as duplicates.
    """

    parser_classes = [MentionBatchParser]
    serializer_class = IngestResultSerializer
    schema = BatchSchema()
    MAX_BATCH = MAX_ITEMS

    def scoped_queryset(self) -> QuerySet[Source]:
        return Source.objects.all()

    @extend_schema(
        request={"application/json": MentionBatchSerializer},
        responses={
            200: OpenApiResponse(IngestResultSerializer, description=INGESTED),
            207: OpenApiResponse(IngestResultSerializer, description=SOME_REJECTED),
            422: OpenApiResponse(IngestResultSerializer, description=ALL_REJECTED),
            413: error_response(
                f"Over {MAX_ITEMS} mentions or over {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} "
                "bytes: refused whole, nothing stored."
            ),
        },
        summary="Ingest a batch",
    )
    def post(self, request: Request, pk: int) -> Response:
        source = self.get_object()
        batch = request.data if isinstance(request.data, Batch) else read_batch(b"")
        if batch.error is not None:
            letter = dead_letter_store(
                source=source,
                channel=Channel.API,
                errors=[("mentions", batch.error)],
                payload=batch.envelope,
                raw_body=readable_text(batch.body),
                raw_bytes=batch.body,
            )
            raise IngestError(
                f"Send a list of mentions, or an object with a 'mentions' list (kept as dead "
                f"letter {letter.pk}).",
                field="mentions",
            )
        if len(batch.items) > self.MAX_BATCH:
            raise TooLarge(
                f"At most {self.MAX_BATCH} mentions per request; got {len(batch.items)}. "
                "Nothing was stored."
            )
        result = mentions_ingest(
            client=self.client, source=source, items=batch.items, channel=Channel.API
        )
        return Response(result.as_dict(), status=result.http_status)


# --- Mentions ------------------------------------------------------------------------------------


class AuthorSerializer(serializers.ModelSerializer[Author]):
    class Meta:
        model = Author
        fields = [
            "handle",
            "display_name",
            "followers",
            "is_ambassador",
            "is_journalist",
            "is_influencer",
        ]


class MentionSerializer(serializers.ModelSerializer[Mention]):
    # None when the platform gave no author (e.g. an anonymous review).
    author = AuthorSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Mention
        fields = [
            "id",
            "source",
            "platform",
            "external_id",
            "url",
            "author",
            "text",
            "language",
            "posted_at",
            "received_at",
            "thread_id",
            "parent_id",
            "likes",
            "shares",
            "comments",
            "views",
            "repost_of",
            "deleted_at",
            "edited_at",
            "sentiment",
            "sentiment_score",
            "emotional",
            "reach_tier",
            "is_multiplier",
            "is_ambassador",
            "wave",
            "processed_at",
        ]


class MentionFilters(serializers.Serializer[Any]):
    platform = serializers.ChoiceField(choices=Platform.choices, required=False)
    source = serializers.IntegerField(required=False, min_value=1)  # type: ignore[assignment]
    author = serializers.CharField(required=False, max_length=200)
    language = serializers.CharField(required=False, max_length=8)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)
    q = serializers.CharField(required=False, max_length=500)
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False)
    wave = serializers.IntegerField(required=False, min_value=1)  # type: ignore[assignment]
    multipliers = serializers.BooleanField(required=False, default=False)
    deleted = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only posts the platform says were deleted; false: only live ones.",
    )
    reposts = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only shares of other posts (retweets, reblogs); false: no shares.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": ["must be after 'since'."]})
        return attrs


class ByPosted(CursorPagination):
    ordering = ("-posted_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class MentionsMixin(TenantGenericAPIView):
    def scoped_queryset(self) -> QuerySet[Mention]:
        filters = MentionFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return mentions_filter(
            client=self.client,
            platform=data.get("platform"),
            source_id=data.get("source"),
            author=data.get("author"),
            language=data.get("language"),
            since=data.get("since"),
            until=data.get("until"),
            q=data.get("q"),
            sentiment=data.get("sentiment"),
            wave_id=data.get("wave"),
            multipliers_only=data["multipliers"],
            deleted=data["deleted"],
            reposts=data["reposts"],
        )


class MentionList(MentionsMixin, generics.ListAPIView):  # type: ignore[misc]
    serializer_class = MentionSerializer
    pagination_class = ByPosted

    @extend_schema(parameters=[MentionFilters], summary="Mentions, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class MentionExport(MentionsMixin):
    """The filtered mentions as CSV, streamed (no page limit)."""

    @extend_schema(parameters=[MentionFilters], responses={(200, "text/csv"): bytes})
    def get(self, request: Request) -> StreamingHttpResponse:
        columns = [
            "id",
            "platform",
            "source_id",
            "external_id",
            "posted_at",
            "received_at",
            "author__handle",
            "author__followers",
            "language",
            "text",
            "url",
            "thread_id",
            "parent_id",
            "likes",
            "shares",
            "comments",
            "views",
            "repost_of",
            "deleted_at",
            "edited_at",
            "sentiment",
            "sentiment_score",
            "emotional",
            "reach_tier",
            "is_multiplier",
            "is_ambassador",
            "wave_id",
        ]
        rows = self.get_queryset().order_by("-posted_at", "-id").values_list(*columns)
        header = [c.replace("author__", "author_") for c in columns]

        def stream() -> Iterator[str]:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(header)
            for row in rows.iterator(chunk_size=2000):
                writer.writerow(row)
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{self.client.slug}-mentions-{stamp}.csv"'
        )
        return response


# --- Dead letters --------------------------------------------------------------------------------


class DeadLetterSerializer(serializers.ModelSerializer[DeadLetter]):
    raw_base64 = serializers.SerializerMethodField(
        help_text="The bytes exactly as received (base64), when they were not readable JSON."
    )

    class Meta:
        model = DeadLetter
        fields = [
            "id",
            "source",
            "channel",
            "status",
            "errors",
            "payload",
            "raw_body",
            "raw_base64",
            "batch_index",
            "received_at",
            "resolved_at",
            "resolution",
        ]

    def get_raw_base64(self, letter: DeadLetter) -> str | None:
        if letter.raw_bytes is None:
            return None
        return base64.b64encode(bytes(letter.raw_bytes)).decode("ascii")


class DeadLetterList(TenantGenericAPIView, generics.ListAPIView):  # type: ignore[misc]
    serializer_class = DeadLetterSerializer

    def scoped_queryset(self) -> QuerySet[DeadLetter]:
        status_filter = self.request.query_params.get("status")
        if status_filter and status_filter not in DeadLetterStatus.values:
            raise serializers.ValidationError(
                {"status": [f"one of {', '.join(DeadLetterStatus.values)}"]}
            )
        return dead_letters_filter(client=self.client, status=status_filter or None)

    pagination_class = type(
        "ByReceived", (CursorPagination,), {"ordering": ("-received_at", "-id")}
    )


class DeadLettersScope(TenantGenericAPIView):
    serializer_class = DeadLetterSerializer

    def scoped_queryset(self) -> QuerySet[DeadLetter]:
        return DeadLetter.objects.all()


class DeadLetterDetail(DeadLettersScope, generics.RetrieveAPIView):  # type: ignore[misc]
    pass


class ReplaySerializer(serializers.Serializer[Any]):
    payload = StorableJSONField(
        required=False, allow_null=True, help_text="A corrected item; default: as kept."
    )


class DeadLetterReplay(DeadLettersScope):
    @extend_schema(
        request=ReplaySerializer,
        responses={
            200: IngestResultSerializer,
            422: IngestResultSerializer,
            409: error_response("Already replayed or discarded, or its source is gone."),
        },
        summary="Replay: 200 stored; 422 rejected again, and the letter stays open",
    )
    def post(self, request: Request, pk: int) -> Response:
        reject_unknown_fields(request.data, {"payload"})
        body = ReplaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = dead_letter_replay(
            client=self.client,
            letter=self.get_object(),
            acting_user=acting_user(request),
            payload=body.validated_data.get("payload"),
        )
        return Response(result.as_dict(), status=result.http_status)


class DiscardSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)


class DeadLetterDiscard(DeadLettersScope):
    @extend_schema(
        request=DiscardSerializer,
        responses={
            200: DeadLetterSerializer,
            409: error_response("Already replayed or discarded, or no reason given."),
        },
        summary="Discard",
    )
    def post(self, request: Request, pk: int) -> Response:
        reject_unknown_fields(request.data, {"reason"})
        body = DiscardSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        letter = dead_letter_discard(
            client=self.client,
            letter=self.get_object(),
            acting_user=acting_user(request),
            reason=body.validated_data["reason"],
        )
        return Response(DeadLetterSerializer(letter).data)


# --- Imports -------------------------------------------------------------------------------------


class ImportJobSerializer(serializers.ModelSerializer[ImportJob]):
    processed_rows = serializers.IntegerField(source="next_row", read_only=True)
    percent = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "source",
            "filename",
            "file_format",
            "timezone",
            "status",
            "total_rows",
            "processed_rows",
            "percent",
            "accepted",
            "duplicates",
            "rejected",
            "error",
            "created_at",
            "finished_at",
        ]

    def get_percent(self, job: ImportJob) -> float:
        if not job.total_rows:
            return 100.0 if job.status == "done" else 0.0
        return round(100 * job.next_row / job.total_rows, 1)


class ImportUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()
    source = serializers.IntegerField(min_value=1)  # type: ignore[assignment]
    timezone = serializers.CharField(default="UTC", max_length=64)


class ImportList(TenantGenericAPIView, generics.ListAPIView):  # type: ignore[misc]
    """Upload an export (multipart: file, source, timezone); its progress is on the job."""

    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser]
    pagination_class = type("ByCreated", (CursorPagination,), {"ordering": ("-created_at", "-id")})

    def scoped_queryset(self) -> QuerySet[ImportJob]:
        return ImportJob.objects.all()

    @extend_schema(request=ImportUploadSerializer, responses={202: ImportJobSerializer})
    def post(self, request: Request) -> Response:
        reject_unknown_fields(dict(request.data.items()), {"file", "source", "timezone"})
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        source = Source.objects.filter(pk=data["source"]).first()
        if source is None:
            raise serializers.ValidationError({"source": ["No such source on this brand."]})
        job = import_job_create(
            client=self.client,
            source=source,
            filename=data["file"].name,
            chunks=data["file"].chunks(),
            acting_user=acting_user(request),
            timezone_name=data["timezone"],
        )
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportDetail(TenantGenericAPIView, generics.RetrieveAPIView):  # type: ignore[misc]
    serializer_class = ImportJobSerializer

    def scoped_queryset(self) -> QuerySet[ImportJob]:
        return ImportJob.objects.all()
