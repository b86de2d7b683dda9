"""The brand-host API of an incident's replies and own posts: the incident's list, a draft, its
text changed or thrown away, its approval, sending it through the platform's API, and a reply
or post made elsewhere recorded with its URL. The writes are playbooks.sending's and
playbooks.services' functions; a view reads the body, finds the objects in the brand's schema,
calls the service and answers the response as it now stands.

Who: everyone with access to the brand reads (client viewers too); the agency's people draft,
edit, discard, send and record (TenantAccess refuses a client viewer's write, and the services
refuse anyone without full access again). Approving is the one write a client viewer makes
(`BrandMembers`): the service decides who may approve (the brand's account manager, an admin,
or the client).

The text is sent as given: the page's editor adds the Q&A link, a program adds it itself (the
draft's tone findings name a missing one).

Every error is a 4xx in the API's error envelope, never a 5xx:

- 400 `invalid` / `invalid_incident`, with `fields`: the body is wrong (a reply without its
  mention, a message not in the incident's wave, a text too long, no source of the brand on
  the platform holding the credentials that may send);
- 403 `permission_denied`: read-only access; a crisis reply that waits for approval; a second
  reply by someone who is not the incident's lead (or an account manager); an approval by
  someone who is not the brand's account manager or the client;
- 404: another brand's incident, response or message (not found on this host);
- 409 `reply_once`: the brand answered the thread (or the author, within the incident) already,
  the article's reason in `message`; 409 `invalid_incident`: no longer a draft (sent, being
  sent, recorded); 409 `being_sent`: someone is sending it at this moment;
- 424 `platform_refused`, `platform_unavailable`, `platform_unconfirmed`: the platform did not
  take it, `message` in the platform's words (a refused token, a 5xx of theirs, no answer in
  time). Failed Dependency and not 502: Stormdesk answered, the platform it depends on did
  not, and a 5xx is what our own alarms count. `platform_unavailable`: try again later;
  `platform_refused`: fix the source's credentials first; `platform_unconfirmed`: the reply
  may be on the platform, the thread stays held, look there before sending it again (it may
  be sent again 10 minutes after the attempt);
- 429 `platform_rate_limited`, with `Retry-After`: the platform's rate limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse

from agency.api_base import TenantGenericAPIView, acting_user, validated_body
from agency.api_schema import ERROR_COMPONENT, error_response
from agency.exceptions import StormdeskError
from agency.selectors import client_access
from monitoring.models import Mention, Platform
from playbooks.api import _inline_enum
from playbooks.exceptions import IncidentError
from playbooks.forms import MAX_REASON
from playbooks.models import Incident, IncidentStatus, Response, ResponseKind, ResponseStatus
from playbooks.qa import qa_link_for_incident
from playbooks.selectors import ToneFinding, draft_tone
from playbooks.sending import (
    ResponseSendError,
    approval_policy,
    incident_is_crisis,
    response_approvals,
    response_approve,
    response_discard,
    response_draft,
    response_draft_update,
    response_send,
)
from playbooks.services import MAX_RESPONSE, response_record

EDITABLE = (ResponseStatus.DRAFT, ResponseStatus.FAILED)


@extend_schema_field(_inline_enum(list(ResponseKind.values), "reply (to a mention) or post."))
class KindField(serializers.ChoiceField):
    """A reply to a mention, or an own post."""


@extend_schema_field(
    _inline_enum(
        list(ResponseStatus.values),
        "draft; sending (claimed, being handed to the platform); sent; recorded (made "
        "elsewhere); failed (the platform refused it, it may be sent again).",
    )
)
class ResponseStatusField(serializers.ChoiceField):
    """Where a reply or post stands."""


class ToneFindingSerializer(serializers.Serializer[Any]):
    """One finding of the tone check on a draft (playbooks.tone), with its reason and a
    suggestion, in English."""

    code = serializers.CharField(help_text="confrontational, defensive, too_long, no_qa_link, ...")
    severity = serializers.ChoiceField(
        choices=["warn", "block"], help_text="block: the platform would refuse it as it is."
    )
    label = serializers.CharField(help_text="The finding in a few words.")  # type: ignore[assignment]
    reason = serializers.CharField()
    suggestion = serializers.CharField()
    excerpt = serializers.CharField(help_text="The words at fault; empty: the whole text.")
    span = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=2,
        max_length=2,
        allow_null=True,
        help_text="[start, end) of `excerpt` in `text`; null for the whole text.",
    )


class ReplyOrPostSerializer(serializers.ModelSerializer[Response]):
    """A reply or own post of the brand on a platform, with whether it waits for approval.
    Context: `policy` (the brand asks for approval of crisis replies), `approvals` (the
    approver by response id, for the texts approved as they now read)."""

    incident: serializers.PrimaryKeyRelatedField[Incident] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    kind = KindField(choices=ResponseKind.choices, read_only=True)
    platform = serializers.ChoiceField(choices=Platform.choices, read_only=True)
    mention: serializers.PrimaryKeyRelatedField[Mention] = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The message a reply answers (null for an own post, or once it is deleted).",
    )
    status = ResponseStatusField(choices=ResponseStatus.choices, read_only=True)
    url = serializers.CharField(
        read_only=True, help_text="Its permalink on the platform once sent or recorded, else empty."
    )
    approval_needed = serializers.SerializerMethodField(
        help_text="A reply or post of a crisis incident at a brand that asks for approval."
    )
    approval_given = serializers.SerializerMethodField(
        help_text="Its text, as it reads now, was approved (an edit asks for a new approval)."
    )
    approved_by = serializers.SerializerMethodField(
        help_text="The e-mail of who approved the text as it reads now; null if nobody did."
    )
    tone = serializers.SerializerMethodField(
        help_text="The tone check's findings on a draft or failed send; empty once it is out."
    )

    class Meta:
        model = Response
        fields = [
            "id",
            "incident",
            "kind",
            "platform",
            "mention",
            "text",
            "status",
            "url",
            "created_by",
            "created_at",
            "sent_at",
            "override_reason",
            "approval_needed",
            "approval_given",
            "approved_by",
            "tone",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "sent_at": {"help_text": "When it went out (while sending: when the send began)."},
            "override_reason": {
                "help_text": "Why a lead allowed a second reply in the thread; empty if not."
            },
        }

    def get_approval_needed(self, response: Response) -> bool:
        return bool(self.context["policy"]) and incident_is_crisis(response.incident)

    def get_approval_given(self, response: Response) -> bool:
        return response.pk in self.context["approvals"]

    def get_approved_by(self, response: Response) -> str | None:
        return self.context["approvals"].get(response.pk)

    @extend_schema_field(ToneFindingSerializer(many=True))
    def get_tone(self, response: Response) -> Any:
        if response.status not in EDITABLE:
            return []
        return ToneFindingSerializer(_tone(self.context, response), many=True).data


def _tone(context: dict[str, Any], response: Response) -> list[ToneFinding]:
    """The draft's tone findings, with the incident's Q&A link looked up once per incident."""
    links = context["qa_links"]
    incident = response.incident
    return draft_tone(
        client=context["client"],
        text=response.text,
        kind=response.kind,
        platform=response.platform,
        incident=incident,
        mention=response.mention,
        qa_url=links.get(incident.pk) if incident is not None else None,
        qa_looked_up=incident is not None and incident.pk in links,
    )


class BrandMembers(BasePermission):
    """Anyone with access to the brand, client viewers included, also for this write: approving
    a crisis reply is the client's part (the service decides who may approve)."""

    message = "You have no access to this brand."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        tenant = getattr(request._request, "tenant", None)
        if not user or not user.is_authenticated or tenant is None or tenant.is_public:
            return False
        return client_access(user=user, client=tenant) is not None


class _Refused(exceptions.APIException):
    # DRF's exception handler sends a `wait` as the Retry-After header.
    wait: int | None = None

    def __init__(self, status_code: int, message: str, code: str) -> None:
        self.status_code = status_code
        super().__init__(message, code)


def _refusal(exc: StormdeskError) -> Exception:
    """A domain error as the API answers it (see the module's docstring)."""
    if isinstance(exc, ResponseSendError):
        if exc.status == status.HTTP_409_CONFLICT:
            return _Refused(409, exc.message, "being_sent")
        if exc.retry_after is not None or exc.status == status.HTTP_429_TOO_MANY_REQUESTS:
            limited = _Refused(429, exc.message, "platform_rate_limited")
            limited.wait = max(1, math.ceil(exc.retry_after or 60))
            return limited
        if exc.unknown:
            return _Refused(424, exc.message, "platform_unconfirmed")
        return _Refused(
            424, exc.message, "platform_unavailable" if exc.transient else "platform_refused"
        )
    if isinstance(exc, IncidentError) and exc.field is None:
        return _Refused(409, exc.message, exc.code)  # a state, not the body, is at fault
    return exc


def _context(client: Any, responses: Sequence[Response]) -> dict[str, Any]:
    """What the serializer needs beside the rows, whatever their number: the brand's approval
    policy, the approvals (a query each), and the Q&A link of each open incident with a draft
    among them (a query per incident: a page holds one)."""
    incidents = {
        r.incident.pk: r.incident
        for r in responses
        if r.incident is not None and r.status in EDITABLE
    }
    return {
        "client": client,
        "policy": approval_policy(client=client),
        "approvals": response_approvals(client=client, responses=responses),
        "qa_links": {
            pk: qa_link_for_incident(client=client, incident=incident)
            for pk, incident in incidents.items()
            if incident.status != IncidentStatus.CLOSED
        },
    }


NOT_A_DRAFT = error_response(
    "It is no longer a draft (sent, being sent or recorded): `invalid_incident`."
)
SEND_ERRORS: dict[int | str, Any] = {
    403: error_response(
        "Read-only access; the crisis reply waits for approval; or a second reply by someone "
        "who is not the incident's lead."
    ),
    409: error_response(
        "`reply_once`: the brand answered this thread (or this author in the incident) already; "
        "`being_sent`: someone is sending it now; `invalid_incident`: it was discarded."
    ),
    424: error_response(
        "The platform did not take it, in its words: `platform_refused` (fix the source's "
        "credentials), `platform_unavailable` (try again later), `platform_unconfirmed` (it may "
        "be on the platform: look before sending again)."
    ),
    429: OpenApiResponse(
        response=ERROR_COMPONENT.ref,
        description="`platform_rate_limited`: the platform's rate limit; `Retry-After` seconds.",
    ),
}
RETRY_AFTER = OpenApiParameter(
    name="Retry-After",
    type=int,
    location=OpenApiParameter.HEADER,
    response=[429],
    required=True,
    description="Seconds until the platform takes requests again.",
)


class ResponsesScope(TenantGenericAPIView):
    serializer_class = ReplyOrPostSerializer

    def scoped_queryset(self) -> QuerySet[Response]:
        return Response.objects.select_related("incident__alert", "incident__wave", "mention")

    def answer(self, response: Response, code: int = status.HTTP_200_OK) -> ApiResponse:
        """The response as it now stands, read again."""
        row = self.scoped_queryset().get(pk=response.pk)
        context = _context(self.client, [row])
        return ApiResponse(ReplyOrPostSerializer(row, context=context).data, status=code)

    def incident(self) -> Incident:
        return generics.get_object_or_404(
            Incident.objects.select_related("alert", "wave"), pk=self.kwargs["pk"]
        )

    def handle_exception(self, exc: Exception) -> ApiResponse:
        if isinstance(exc, StormdeskError):
            exc = _refusal(exc)
        elif isinstance(exc, Response.DoesNotExist):  # discarded meanwhile
            exc = exceptions.NotFound("No such reply or post on this brand.")
        return super().handle_exception(exc)  # type: ignore[no-any-return]


class DraftSerializer(serializers.Serializer[Any]):
    kind = KindField(choices=ResponseKind.choices)
    platform = serializers.ChoiceField(
        choices=Platform.choices, help_text="For a reply: the platform of its message."
    )
    text = serializers.CharField(max_length=MAX_RESPONSE, trim_whitespace=True)
    mention = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The message of the incident's wave a reply answers (an own post has none).",
    )


class RecordSerializer(DraftSerializer):
    url = serializers.URLField(max_length=1000, help_text="Where the reply or post is.")
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_REASON,
        default="",
        help_text="A second reply in the thread: why (the incident's lead or a manager).",
    )


def _wave_message(incident: Incident, pk: int | None) -> Mention | None:
    if pk is None:
        return None
    found = Mention.objects.filter(wave_id=incident.wave_id, pk=pk, deleted_at__isnull=True).first()
    if found is None:
        raise serializers.ValidationError({"mention": ["No such message in this incident's wave."]})
    return found


class IncidentResponses(ResponsesScope, generics.ListAPIView):  # type: ignore[misc]
    pagination_class = type("ByCreated", (CursorPagination,), {"ordering": ("-created_at", "-id")})

    def scoped_queryset(self) -> QuerySet[Response]:
        return Response.objects.filter(incident=self.incident()).select_related("mention")

    @extend_schema(summary="The incident's replies and own posts, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> ApiResponse:
        incident = self.incident()
        rows = Response.objects.filter(incident=incident).select_related("mention")
        page = self.paginate_queryset(rows) or []
        for row in page:
            row.incident = incident  # one incident for the whole page
        data = ReplyOrPostSerializer(page, many=True, context=_context(self.client, page)).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=DraftSerializer,
        responses={201: ReplyOrPostSerializer},
        summary="Draft a reply to a message of the wave, or an own post (nothing goes out)",
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        data = validated_body(request, DraftSerializer)
        incident = self.incident()
        response = response_draft(
            client=self.client,
            incident=incident,
            kind=data["kind"],
            platform=data["platform"],
            text=data["text"],
            mention=_wave_message(incident, data["mention"]),
            acting_user=acting_user(request),
        )
        return self.answer(response, status.HTTP_201_CREATED)


class IncidentResponseRecord(ResponsesScope):
    @extend_schema(
        request=RecordSerializer,
        responses={
            201: ReplyOrPostSerializer,
            403: error_response("Read-only access, or a second reply without being the lead."),
            409: error_response(
                "`reply_once`: the brand answered this thread (or this author) already."
            ),
        },
        summary="Record a reply or own post made on the platform itself, with its URL",
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        data = validated_body(request, RecordSerializer)
        incident = self.incident()
        response = response_record(
            client=self.client,
            acting_user=acting_user(request),
            kind=data["kind"],
            platform=data["platform"],
            text=data["text"],
            url=data["url"],
            mention=_wave_message(incident, data["mention"]),
            incident=incident,
            override_reason=data["override_reason"],
        )
        return self.answer(response, status.HTTP_201_CREATED)


class EditSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(
        max_length=MAX_RESPONSE, required=False, help_text="The new text (left out: no change)."
    )


class ResponseDetail(ResponsesScope):
    @extend_schema(summary="One reply or own post")
    def get(self, request: Request, pk: int) -> ApiResponse:
        return self.answer(self.get_object())

    @extend_schema(
        request=EditSerializer,
        responses={200: ReplyOrPostSerializer, 409: NOT_A_DRAFT},
        summary="Change a draft's text (an approval of the old text no longer holds)",
    )
    def patch(self, request: Request, pk: int) -> ApiResponse:
        data = validated_body(request, EditSerializer)
        response = self.get_object()
        if "text" in data:
            response = response_draft_update(
                client=self.client,
                response=response,
                text=data["text"],
                acting_user=acting_user(request),
            )
        return self.answer(response)

    @extend_schema(
        request=None,
        responses={204: None, 409: NOT_A_DRAFT},
        summary="Throw a draft (or a failed send) away",
    )
    def delete(self, request: Request, pk: int) -> ApiResponse:
        response_discard(
            client=self.client, response=self.get_object(), acting_user=acting_user(request)
        )
        return ApiResponse(status=status.HTTP_204_NO_CONTENT)


class SendSerializer(serializers.Serializer[Any]):
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_REASON,
        default="",
        help_text="A second reply in the thread: why (the incident's lead or a manager).",
    )


class ResponseSend(ResponsesScope):
    @extend_schema(
        request=SendSerializer,
        responses={200: ReplyOrPostSerializer, **SEND_ERRORS},
        parameters=[RETRY_AFTER],
        summary="Send a draft through the platform's API (sent already: as it is, no request)",
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        data = validated_body(request, SendSerializer)
        response = response_send(
            client=self.client,
            response=self.get_object(),
            acting_user=acting_user(request),
            override_reason=data["override_reason"],
        )
        return self.answer(response)


class ApproveSerializer(serializers.Serializer[Any]):
    """Nothing to say: the approval is of the text as it reads now."""


class ResponseApprove(ResponsesScope):
    permission_classes = [BrandMembers]

    @extend_schema(
        request=None,
        responses={
            200: ReplyOrPostSerializer,
            403: error_response("Not the brand's account manager, an admin or the client."),
            409: NOT_A_DRAFT,
        },
        summary="Approve a crisis reply's text for sending (the account manager or the client)",
    )
    def post(self, request: Request, pk: int) -> ApiResponse:
        validated_body(request, ApproveSerializer)
        response = response_approve(
            client=self.client, response=self.get_object(), acting_user=acting_user(request)
        )
        return self.answer(response)
