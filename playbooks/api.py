"""The brand-host API of incidents: the list (cursor pages, newest first), one incident with
its checklist and timeline, and the writes: open from an alert, say what happened (the
playbook is chosen again), tick a step, change the status, close with the review.

Everyone with access to the brand reads; the agency's people write (client viewers are
read-only by the default permission). The writes are playbooks.services' functions; their
IncidentError is a 400 in the API's error envelope. The timeline holds the pages the alert's
escalation sent only for the agency's people, as the pages do.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from agency.api_base import TenantGenericAPIView, acting_user, validated_body
from agency.models import SITUATION_ORIGINS
from agency.selectors import Access, client_access
from monitoring.models import Alert
from playbooks.forms import MAX_NOTE, MAX_REVIEW
from playbooks.models import Incident, IncidentStatus, IncidentStep, Truth
from playbooks.services import (
    incident_close,
    incident_open,
    incident_origin_set,
    incident_status_set,
    incident_step_done,
)
from playbooks.views.reads import Entry, incident_timeline, incidents_filter, playbook_why


def _inline_enum(values: list[str], description: str) -> dict[str, Any]:
    """A choice typed inline (`anyOf` keeps drf-spectacular from naming it a component: a
    third set of `status` values used by several components would collide with the alerts'
    and waves'; ENUM_NAME_OVERRIDES in agency/settings.py could name it instead)."""
    return {"anyOf": [{"type": "string", "enum": values}], "description": description}


@extend_schema_field(
    _inline_enum(list(IncidentStatus.values), "investigating, responding, monitoring or closed.")
)
class StatusField(serializers.ChoiceField):
    """An incident's status."""


@extend_schema_field(
    _inline_enum(
        [s for s in IncidentStatus.values if s != IncidentStatus.CLOSED],
        "Closing is .../close/, with the review.",
    )
)
class OpenStatusField(serializers.ChoiceField):
    """A status an open incident may move to."""


class IncidentStepSerializer(serializers.ModelSerializer[IncidentStep]):
    """A step of the checklist: due its playbook's minutes after the incident opened."""

    overdue = serializers.SerializerMethodField(help_text="Past due and not done.")

    class Meta:
        model = IncidentStep
        fields = [
            "id",
            "position",
            "kind",
            "title",
            "instructions",
            "who",
            "due_at",
            "done_at",
            "done_by",
            "note",
            "overdue",
        ]

    def get_overdue(self, step: IncidentStep) -> bool:
        now = self.context["now"]
        return step.done_at is None and step.due_at < now


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    alert: serializers.PrimaryKeyRelatedField[Alert] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )
    playbook_name = serializers.SerializerMethodField()
    why = serializers.SerializerMethodField(
        help_text="Why the playbook was chosen: the parts of the situation it fits."
    )
    status = StatusField(choices=IncidentStatus.choices, read_only=True)
    responders = serializers.ListField(child=serializers.CharField(), read_only=True)
    overdue = serializers.IntegerField(
        read_only=True, help_text="Steps past due and not done (0 once closed)."
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "status",
            "title",
            "alert",
            "wave",
            "origin",
            "playbook",
            "playbook_name",
            "playbook_reason",
            "why",
            "lead",
            "responders",
            "opened_at",
            "opened_by",
            "closed_at",
            "truth",
            "improvements",
            "lessons",
            "overdue",
        ]
        extra_kwargs = {
            "origin": {"help_text": "What happened, as a person said it; empty until then."},
            "opened_by": {"help_text": "Empty when it opened at once for a crisis."},
            "truth": {"help_text": "The review: was there truth in the critique."},
            "playbook_reason": {"help_text": "Why, as written when the playbook was chosen."},
        }

    def get_playbook_name(self, incident: Incident) -> str | None:
        return incident.playbook.name if incident.playbook else None

    def get_why(self, incident: Incident) -> str:
        return playbook_why(incident)


class TimelineEntrySerializer(serializers.Serializer[Entry]):
    """One line of the timeline, oldest first: the incident's events, its alert's events and,
    for the agency's people, the pages its escalation sent (`kind` the method, `note` the
    delivery state)."""

    at = serializers.DateTimeField()
    part = serializers.ChoiceField(
        choices=["incident", "alert", "page"],
        source="source",
        help_text="Whose line: the incident's, its alert's, or a page sent.",
    )
    kind = serializers.CharField()
    actor = serializers.CharField(help_text="The e-mail of who acted, or who was paged.")
    note = serializers.CharField()


class IncidentDetailSerializer(IncidentSerializer):
    steps = IncidentStepSerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "steps", "timeline"]

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, incident: Incident) -> Any:
        return TimelineEntrySerializer(self.context["timeline"], many=True).data


class IncidentFilters(serializers.Serializer[Any]):
    status = StatusField(choices=IncidentStatus.choices, required=False)


class IncidentsScope(TenantGenericAPIView):
    serializer_class = IncidentSerializer

    def scoped_queryset(self) -> QuerySet[Incident]:
        return incidents_filter(client=self.client)

    def detail(self, request: Request, incident: Incident, **kwargs: Any) -> Response:
        """The incident as it now stands, read again (with its counts), steps and timeline."""
        incident = self.scoped_queryset().select_related("alert").get(pk=incident.pk)
        agency = client_access(user=acting_user(request), client=self.client) is Access.FULL
        context = {
            "now": timezone.now(),
            "timeline": incident_timeline(client=self.client, incident=incident, with_pages=agency),
        }
        return Response(IncidentDetailSerializer(incident, context=context).data, **kwargs)


class OpenSerializer(serializers.Serializer[Any]):
    alert = serializers.IntegerField(help_text="The alert whose wave the incident is about.")
    origin = serializers.ChoiceField(
        choices=SITUATION_ORIGINS,
        required=False,
        default="",
        help_text="What happened, if known (else the playbook is chosen without it).",
    )


class IncidentList(IncidentsScope, generics.ListAPIView):  # type: ignore[misc]
    pagination_class = type("ByOpened", (CursorPagination,), {"ordering": ("-opened_at", "-id")})

    def scoped_queryset(self) -> QuerySet[Incident]:
        filters = IncidentFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return incidents_filter(client=self.client, status=filters.validated_data.get("status"))

    @extend_schema(parameters=[IncidentFilters], summary="Incidents, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=OpenSerializer,
        responses={
            201: IncidentDetailSerializer,
            200: IncidentDetailSerializer,
        },
        summary="Open the incident of an alert (200: the one open already)",
    )
    def post(self, request: Request) -> Response:
        data = validated_body(request, OpenSerializer)
        alert = Alert.objects.filter(pk=data["alert"]).first()
        if alert is None:
            raise serializers.ValidationError({"alert": ["No such alert on this brand."]})
        already = (
            Incident.objects.filter(wave_id=alert.wave_id)
            .exclude(status=IncidentStatus.CLOSED)
            .exists()
        )
        incident = incident_open(
            client=self.client,
            alert=alert,
            acting_user=acting_user(request),
            origin=data["origin"],
        )
        code = status.HTTP_200_OK if already else status.HTTP_201_CREATED
        return self.detail(request, incident, status=code)


class IncidentDetail(IncidentsScope, generics.RetrieveAPIView):  # type: ignore[misc]
    serializer_class = IncidentDetailSerializer

    @extend_schema(summary="One incident, with its checklist and timeline")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.detail(request, self.get_object())


class OriginSerializer(serializers.Serializer[Any]):
    origin = serializers.ChoiceField(
        choices=SITUATION_ORIGINS,
        allow_blank=True,
        help_text="What happened: own_post, failure, leak, outside_event (empty: not known).",
    )


class IncidentOrigin(IncidentsScope):
    serializer_class = IncidentDetailSerializer

    @extend_schema(
        request=OriginSerializer,
        responses={200: IncidentDetailSerializer},
        summary="Say what happened (the playbook is chosen again)",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = validated_body(request, OriginSerializer)
        incident = incident_origin_set(
            client=self.client,
            incident=self.get_object(),
            origin=data["origin"],
            acting_user=acting_user(request),
        )
        return self.detail(request, incident)


class StepDoneSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE, default="")


class IncidentStepDone(IncidentsScope):
    serializer_class = IncidentDetailSerializer

    @extend_schema(
        request=StepDoneSerializer,
        responses={200: IncidentDetailSerializer},
        summary="Tick a step of the checklist off (again: no change)",
    )
    def post(self, request: Request, pk: int, step: int) -> Response:
        data = validated_body(request, StepDoneSerializer)
        incident = self.get_object()
        found = generics.get_object_or_404(IncidentStep.objects.filter(incident=incident), pk=step)
        incident_step_done(
            client=self.client,
            step=found,
            acting_user=acting_user(request),
            note=data["note"],
        )
        return self.detail(request, incident)


class StatusSerializer(serializers.Serializer[Any]):
    status = OpenStatusField(
        choices=[(k, v) for k, v in IncidentStatus.choices if k != IncidentStatus.CLOSED]
    )


class IncidentStatusChange(IncidentsScope):
    serializer_class = IncidentDetailSerializer

    @extend_schema(
        request=StatusSerializer,
        responses={200: IncidentDetailSerializer},
        summary="Investigating, responding or monitoring",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = validated_body(request, StatusSerializer)
        incident = incident_status_set(
            client=self.client,
            incident=self.get_object(),
            status=data["status"],
            acting_user=acting_user(request),
        )
        return self.detail(request, incident)


class CloseSerializer(serializers.Serializer[Any]):
    truth = serializers.ChoiceField(
        choices=Truth.choices, help_text="Was there truth in the critique?"
    )
    improvements = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_REVIEW,
        default="",
        help_text="What the brand should improve: required unless truth is `no`.",
    )
    lessons = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_REVIEW, default=""
    )


class IncidentClose(IncidentsScope):
    serializer_class = IncidentDetailSerializer

    @extend_schema(
        request=CloseSerializer,
        responses={200: IncidentDetailSerializer},
        summary="Close with the review",
    )
    def post(self, request: Request, pk: int) -> Response:
        data = validated_body(request, CloseSerializer)
        incident = incident_close(
            client=self.client,
            incident=self.get_object(),
            acting_user=acting_user(request),
            **data,
        )
        return self.detail(request, incident)
