"""The agency-host API of the roster (issue 13, point 7): schedules with their rotations and
people, their slots, overrides, leave, shift swaps and the person's own shifts. For the agency's
people, with the role rules of the pages (agency.views_roster): agency staff see the schedules
covering their brands or every brand and those they take shifts on, and of a schedule's brands
only theirs; account managers and agency admins see everything, change schedules and decide
swaps. Client viewers and outsiders are refused (403): a brand's cover is on its own host
(monitoring.api.cover). Each write calls the roster service the pages call; the domain errors
(agency.roster.RosterError, SwapConflictError, PermissionDeniedError) answer 400, 409 and 403.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agency.api_base import acting_user, validated_body
from agency.api_schema import error_response
from agency.models import (
    Leave,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    ShiftRole,
    ShiftSwap,
    SwapStatus,
    User,
)
from agency.permissions import AgencyPeople
from agency.roster import (
    EARLIEST,
    LATEST,
    LONGEST_SWAP,
    MAX_TEXT,
    RosterError,
    leave_record,
    leave_remove,
    on_duty_of_schedules,
    person_shifts,
    roster_stretch_check,
    schedule_create,
    schedule_layer_add,
    schedule_layer_remove,
    schedule_override_add,
    schedule_override_remove,
    schedule_slots,
    schedule_update,
    schedules_for_person,
    schedules_with_people,
    swap_decide,
    swap_offer,
    swap_take,
    swap_withdraw,
    swaps_for_person,
)
from agency.selectors import clients_for_user, user_by_email, user_can_manage_clients
from clients.models import Client

LONGEST_SLOTS = timedelta(days=31)
MAX_ID = 2**63 - 1


class ManagesRosterToWrite(BasePermission):
    """Agency people read the roster; account managers and agency admins change schedules,
    their rotations and overrides."""

    message = "Only account managers and agency admins change schedules."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or user_can_manage_clients(user=request.user)


ROSTER_PERMISSIONS = [AgencyPeople, ManagesRosterToWrite]


# --- Serializers ---------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    name = serializers.CharField(help_text="The full name; empty when none is set.")


class BrandRefSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()


class WindowSerializer(serializers.Serializer[Any]):
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        min_length=1,
        max_length=7,
        help_text="0 is Monday.",
    )
    # (an offset given with a time is dropped: times are on the layer's zone's clock)
    start = serializers.TimeField(help_text="On the layer's zone's clock.")
    end = serializers.TimeField(help_text="At or before `start`: past midnight.")


CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class WindowReadSerializer(serializers.Serializer[Any]):
    weekdays = serializers.ListField(child=serializers.IntegerField(), help_text="0 is Monday.")
    start = serializers.RegexField(CLOCK, help_text="HH:MM")
    end = serializers.RegexField(CLOCK, help_text="HH:MM; at or before `start`: past midnight.")


class LayerSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=ShiftRole.choices)
    priority = serializers.IntegerField(help_text="Where layers overlap, the higher one is on.")
    starts_on = serializers.DateField()
    hand_off = serializers.RegexField(CLOCK, help_text="HH:MM, on the layer's zone's clock.")
    shift_hours = serializers.IntegerField(help_text="Of wall-clock time in the layer's zone.")
    timezone = serializers.CharField(
        help_text="Follow-the-sun: its own zone; empty: the schedule's."
    )
    windows = WindowReadSerializer(many=True, help_text="When in the week it covers; none: always.")
    members = PersonSerializer(many=True, help_text="Who takes turns, in order.")


class OnDutySerializer(serializers.Serializer[Any]):
    primary = PersonSerializer(allow_null=True)
    backup = PersonSerializer(allow_null=True)


class ScheduleSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    timezone = serializers.CharField()
    covers_all = serializers.BooleanField(
        help_text="Covers every brand, also those onboarded later."
    )
    is_default = serializers.BooleanField(help_text="New brands join it at onboarding.")
    for_duty_managers = serializers.BooleanField(help_text="The duty managers' schedule.")
    brands = BrandRefSerializer(many=True, help_text="The brands it names that you cover.")
    on_duty = OnDutySerializer(help_text="Who is on duty now.")
    layers = LayerSerializer(many=True)


class ScheduleCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    timezone = serializers.CharField(max_length=64, default="Europe/Amsterdam")
    covers_all = serializers.BooleanField(default=False)
    brands = serializers.ListField(
        child=serializers.SlugField(max_length=40), default=list, max_length=1000
    )
    is_default = serializers.BooleanField(default=False)
    for_duty_managers = serializers.BooleanField(
        default=False, help_text="The duty managers' schedule: no brands."
    )


class ScheduleUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    covers_all = serializers.BooleanField(required=False)
    brands = serializers.ListField(
        child=serializers.SlugField(max_length=40), required=False, max_length=1000
    )
    for_duty_managers = serializers.BooleanField(required=False)


class LayerCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, default="", allow_blank=True)
    people = serializers.ListField(
        child=serializers.EmailField(), min_length=1, max_length=100, help_text="In turn order."
    )
    starts_on = serializers.DateField(help_text="The first person's first shift starts this day.")
    hand_off = serializers.TimeField(help_text="On the layer's zone's clock (no offset).")
    shift_hours = serializers.IntegerField(min_value=1, max_value=24 * 28, default=24)
    role = serializers.ChoiceField(choices=ShiftRole.choices, default=ShiftRole.PRIMARY)
    priority = serializers.IntegerField(min_value=-100, max_value=100, default=0)
    windows = WindowSerializer(many=True, default=list, max_length=14)  # type: ignore[call-arg]
    timezone = serializers.CharField(max_length=64, default="", allow_blank=True)

    def validate_starts_on(self, value: Any) -> Any:
        if not EARLIEST.year <= value.year < LATEST.year:
            raise serializers.ValidationError("Give a day between the years 2000 and 2100.")
        return value


class SlotSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    primary = PersonSerializer(allow_null=True, help_text="Null: nobody on duty (a gap).")
    backup = PersonSerializer(allow_null=True)
    override = serializers.BooleanField(help_text="An override makes its primary.")


class SlotsSerializer(serializers.Serializer[Any]):
    schedule = serializers.IntegerField()
    timezone = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    slots = SlotSerializer(many=True, help_text="Consecutive, from `start` to `end`.")


class StretchQuery(serializers.Serializer[Any]):
    start = serializers.DateTimeField(help_text="With its offset (without one: UTC).")
    end = serializers.DateTimeField(help_text="At most 31 days after `start`.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs["start"], attrs["end"]
        if start < EARLIEST or end > LATEST:
            raise serializers.ValidationError({"start": ["Give times between 2000 and 2100."]})
        if end <= start:
            raise serializers.ValidationError({"end": ["It must end after it starts."]})
        if end - start > LONGEST_SLOTS:
            raise serializers.ValidationError({"end": ["At most 31 days."]})
        return attrs


class OverrideSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    user = PersonSerializer()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    reason = serializers.CharField()
    created_by = PersonSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    swap = serializers.IntegerField(
        allow_null=True, help_text="The approved swap that wrote it, if one did."
    )


class OverrideCreateSerializer(serializers.Serializer[Any]):
    user = serializers.EmailField(help_text="Who takes the stretch.")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    reason = serializers.CharField(max_length=MAX_TEXT, default="", allow_blank=True)


class OverrideQuery(serializers.Serializer[Any]):
    since = serializers.DateTimeField(
        required=False, help_text="Overrides ending after this; now if not given."
    )


class LeaveSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    user = PersonSerializer()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class LeaveCreateSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    note = serializers.CharField(max_length=MAX_TEXT, default="", allow_blank=True)
    user = serializers.EmailField(
        required=False,
        help_text="Whose leave (account managers and agency admins); yours if not given.",
    )


class ScheduleRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    timezone = serializers.CharField()


class SwapSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    schedule = ScheduleRefSerializer()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=SwapStatus.choices)
    note = serializers.CharField()
    offered_by = PersonSerializer()
    taken_by = PersonSerializer(allow_null=True)
    decided_by = PersonSerializer(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class SwapOfferSerializer(serializers.Serializer[Any]):
    schedule = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    start = serializers.DateTimeField(help_text="A stretch in which you are primary.")
    end = serializers.DateTimeField(help_text="At most 31 days after `start`.")
    note = serializers.CharField(max_length=MAX_TEXT, default="", allow_blank=True)


class SwapQuery(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=SwapStatus.choices, required=False)


class ShiftSerializer(serializers.Serializer[Any]):
    schedule = ScheduleRefSerializer()
    role = serializers.ChoiceField(choices=ShiftRole.choices)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    covers_all = serializers.BooleanField(help_text="The schedule covers every brand.")
    brands = BrandRefSerializer(many=True, help_text="The brands it names that you cover.")


class ShiftsSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    shifts = ShiftSerializer(many=True)


class ShiftsQuery(serializers.Serializer[Any]):
    days = serializers.IntegerField(min_value=1, max_value=31, default=14)


def _page_of(item: type[serializers.Serializer[Any]]) -> type[serializers.Serializer[Any]]:
    """The shape of a cursor page of `item`s (these views paginate by hand)."""
    name = item.__name__.removesuffix("Serializer")
    fields = {
        "next": serializers.URLField(allow_null=True, help_text="The next page, if any."),
        "previous": serializers.URLField(allow_null=True, help_text="The page before, if any."),
        "results": item(many=True),
    }
    return type(f"Paginated{name}List", (serializers.Serializer,), fields)


CURSOR = OpenApiParameter("cursor", OpenApiTypes.STR, description="The page's cursor.")


# --- Bodies ----------------------------------------------------------------------------------


def _person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"email": user.email, "name": user.full_name}


def _brand_refs(schedule: Schedule, visible: set[int]) -> list[dict[str, Any]]:
    return [{"slug": b.slug, "name": b.name} for b in schedule.brands.all() if b.pk in visible]


def _schedule_body(
    schedule: Schedule, visible: set[int], duty: tuple[User | None, User | None]
) -> dict[str, Any]:
    return {
        "id": schedule.pk,
        "name": schedule.name,
        "timezone": schedule.timezone,
        "covers_all": schedule.covers_all,
        "is_default": schedule.is_default,
        "for_duty_managers": schedule.for_duty_managers,
        "brands": _brand_refs(schedule, visible),
        "on_duty": {"primary": _person(duty[0]), "backup": _person(duty[1])},
        "layers": [
            {
                "id": layer.pk,
                "name": layer.name,
                "role": layer.role,
                "priority": layer.priority,
                "starts_on": layer.starts_on,
                "hand_off": f"{layer.hand_off:%H:%M}",
                "shift_hours": layer.shift_hours,
                "timezone": layer.timezone,
                "windows": layer.windows,
                "members": [_person(m.user) for m in layer.members.all()],
            }
            for layer in schedule.layers.all()
        ],
    }


def _override_body(override: ScheduleOverride) -> dict[str, Any]:
    swap = getattr(override, "swap", None)
    return {
        "id": override.pk,
        "user": _person(override.user),
        "start": override.start,
        "end": override.end,
        "reason": override.reason,
        "created_by": _person(override.created_by),
        "created_at": override.created_at,
        "swap": swap.pk if swap is not None else None,
    }


def _leave_body(leave: Leave) -> dict[str, Any]:
    return {
        "id": leave.pk,
        "user": _person(leave.user),
        "start": leave.start,
        "end": leave.end,
        "note": leave.note,
        "created_at": leave.created_at,
    }


def _swap_body(swap: ShiftSwap) -> dict[str, Any]:
    return {
        "id": swap.pk,
        "schedule": {
            "id": swap.schedule.pk,
            "name": swap.schedule.name,
            "timezone": swap.schedule.timezone,
        },
        "start": swap.start,
        "end": swap.end,
        "status": swap.status,
        "note": swap.note,
        "offered_by": _person(swap.offered_by),
        "taken_by": _person(swap.taken_by),
        "decided_by": _person(swap.decided_by),
        "decided_at": swap.decided_at,
        "created_at": swap.created_at,
    }


def _visible_brands(user: User) -> set[int]:
    return set(clients_for_user(user=user).values_list("pk", flat=True))


def _schedule_for(user: User, pk: int) -> Schedule:
    """A schedule `user` may see, with its people and brands; else 404 (as another's)."""
    visible = schedules_for_person(user=user).values("pk")
    found = schedules_with_people().filter(pk=pk, pk__in=visible).first()
    if found is None:
        raise Http404("No schedule with this id.")
    return found  # type: ignore[no-any-return]


def _users(emails: list[str], field: str) -> list[User]:
    found = []
    for email in emails:
        user = user_by_email(email=email)
        if user is None:
            raise serializers.ValidationError({field: [f"No user with e-mail {email}."]})
        found.append(user)
    return found


def _brands(slugs: list[str]) -> list[Client]:
    by_slug = {c.slug: c for c in Client.objects.brands().filter(slug__in=slugs)}
    if unknown := sorted(set(slugs) - set(by_slug)):
        raise serializers.ValidationError({"brands": [f"No brand {s!r}." for s in unknown]})
    return [by_slug[s] for s in dict.fromkeys(slugs)]


class ByName(CursorPagination):
    ordering = ("name", "id")


class ByStart(CursorPagination):
    ordering = ("start", "id")


class NewestFirst(CursorPagination):
    ordering = ("-created_at", "-id")


# --- Schedules -------------------------------------------------------------------------------


class ScheduleListView(APIView):
    permission_classes = ROSTER_PERMISSIONS

    @extend_schema(
        operation_id="v1_schedules_list",
        parameters=[CURSOR],
        responses=_page_of(ScheduleSerializer),
        summary="The schedules you see, with their rotations, people and who is on duty now",
    )
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        visible = schedules_for_person(user=user).values("pk")
        paginator = ByName()
        page = paginator.paginate_queryset(
            schedules_with_people().filter(pk__in=visible), request, view=self
        )
        schedules = list(page or [])
        brands = _visible_brands(user)
        duty = on_duty_of_schedules(schedules=schedules, at=timezone.now())
        body = [_schedule_body(s, brands, duty[s.pk]) for s in schedules]
        return paginator.get_paginated_response(ScheduleSerializer(body, many=True).data)

    @extend_schema(
        request=ScheduleCreateSerializer,
        responses={201: ScheduleSerializer},
        summary="Create a schedule (account managers and agency admins)",
    )
    def post(self, request: Request) -> Response:
        user = acting_user(request)
        data = validated_body(request, ScheduleCreateSerializer)
        schedule = schedule_create(
            name=data["name"],
            timezone_name=data["timezone"],
            covers_all=data["covers_all"],
            brands=_brands(data["brands"]),
            is_default=data["is_default"],
            for_duty_managers=data["for_duty_managers"],
            acting_user=user,
        )
        found = _schedule_for(user, schedule.pk)
        duty = on_duty_of_schedules(schedules=[found], at=timezone.now())
        return Response(
            ScheduleSerializer(_schedule_body(found, _visible_brands(user), duty[found.pk])).data,
            status=status.HTTP_201_CREATED,
        )


class ScheduleDetailView(APIView):
    permission_classes = ROSTER_PERMISSIONS

    def _answer(self, user: User, schedule: Schedule) -> Response:
        duty = on_duty_of_schedules(schedules=[schedule], at=timezone.now())
        body = _schedule_body(schedule, _visible_brands(user), duty[schedule.pk])
        return Response(ScheduleSerializer(body).data)

    @extend_schema(responses=ScheduleSerializer, summary="One schedule")
    def get(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        return self._answer(user, _schedule_for(user, pk))

    @extend_schema(
        request=ScheduleUpdateSerializer,
        responses=ScheduleSerializer,
        summary="Change a schedule's name, zone or brands (account managers and agency admins)",
    )
    def patch(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        schedule = _schedule_for(user, pk)
        data = validated_body(request, ScheduleUpdateSerializer)
        schedule_update(
            schedule=schedule,
            name=data.get("name"),
            timezone_name=data.get("timezone"),
            covers_all=data.get("covers_all"),
            brands=_brands(data["brands"]) if "brands" in data else None,
            for_duty_managers=data.get("for_duty_managers"),
            acting_user=user,
        )
        return self._answer(user, _schedule_for(user, pk))


class LayerCreateView(APIView):
    permission_classes = ROSTER_PERMISSIONS

    @extend_schema(
        request=LayerCreateSerializer,
        responses={201: ScheduleSerializer},
        summary="Add a rotation to a schedule (account managers and agency admins)",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        schedule = _schedule_for(user, pk)
        data = validated_body(request, LayerCreateSerializer)
        people = _users(data["people"], "people")
        if len({p.pk for p in people}) != len(people):
            raise serializers.ValidationError({"people": ["Each person takes one place."]})
        schedule_layer_add(
            schedule=schedule,
            people=people,
            starts_on=data["starts_on"],
            hand_off=data["hand_off"],
            shift_hours=data["shift_hours"],
            priority=data["priority"],
            role=data["role"],
            windows=[
                {
                    "weekdays": w["weekdays"],
                    "start": f"{w['start']:%H:%M}",
                    "end": f"{w['end']:%H:%M}",
                }
                for w in data["windows"]
            ],
            timezone_name=data["timezone"],
            name=data["name"],
            acting_user=user,
        )
        found = _schedule_for(user, pk)
        duty = on_duty_of_schedules(schedules=[found], at=timezone.now())
        return Response(
            ScheduleSerializer(_schedule_body(found, _visible_brands(user), duty[found.pk])).data,
            status=status.HTTP_201_CREATED,
        )


class LayerDetailView(APIView):
    permission_classes = ROSTER_PERMISSIONS

    @extend_schema(
        responses={204: None}, summary="Remove a rotation (account managers and agency admins)"
    )
    def delete(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        layer = ScheduleLayer.objects.filter(pk=pk).first()
        if layer is None:
            raise Http404("No rotation with this id.")
        schedule_layer_remove(layer=layer, acting_user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SlotsView(APIView):
    permission_classes = ROSTER_PERMISSIONS

    @extend_schema(
        parameters=[StretchQuery],
        responses=SlotsSerializer,
        summary="A schedule's slots: who is primary and backup from `start` to `end`",
    )
    def get(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        schedule = _schedule_for(user, pk)
        query = StretchQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        slots = schedule_slots(schedule=schedule, start=start, end=end)
        body = {
            "schedule": schedule.pk,
            "timezone": schedule.timezone,
            "start": start,
            "end": end,
            "slots": [
                {
                    "start": s.start,
                    "end": s.end,
                    "primary": _person(s.primary),
                    "backup": _person(s.backup),
                    "override": s.override,
                }
                for s in slots
            ],
        }
        return Response(SlotsSerializer(body).data)


class OverrideListView(APIView):
    permission_classes = ROSTER_PERMISSIONS

    @extend_schema(
        operation_id="v1_schedules_overrides_list",
        parameters=[OverrideQuery, CURSOR],
        responses=_page_of(OverrideSerializer),
        summary="A schedule's overrides ending after `since`, by start",
    )
    def get(self, request: Request, pk: int) -> Response:
        schedule = _schedule_for(acting_user(request), pk)
        query = OverrideQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        since = query.validated_data.get("since") or timezone.now()
        overrides = schedule.overrides.filter(end__gt=since).select_related(
            "user", "created_by", "swap"
        )
        paginator = ByStart()
        page = paginator.paginate_queryset(overrides, request, view=self) or []
        body = [_override_body(o) for o in page]
        return paginator.get_paginated_response(OverrideSerializer(body, many=True).data)

    @extend_schema(
        request=OverrideCreateSerializer,
        responses={201: OverrideSerializer},
        summary="Give someone a stretch of the schedule (account managers and agency admins)",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        schedule = _schedule_for(user, pk)
        data = validated_body(request, OverrideCreateSerializer)
        roster_stretch_check(data["start"], data["end"])
        [person] = _users([data["user"]], "user")
        try:
            override = schedule_override_add(
                schedule=schedule,
                user=person,
                start=data["start"],
                end=data["end"],
                reason=data["reason"],
                acting_user=user,
            )
        except RosterError as exc:  # (the service names its people `people`)
            field = "user" if exc.field == "people" else exc.field
            raise RosterError(exc.message, field=field) from exc

        return Response(
            OverrideSerializer(_override_body(override)).data, status=status.HTTP_201_CREATED
        )


class OverrideDetailView(APIView):
    permission_classes = ROSTER_PERMISSIONS

    @extend_schema(
        responses={
            204: None,
            400: error_response("The override is an approved swap's: override it instead."),
        },
        summary="Remove an override (account managers and agency admins)",
    )
    def delete(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        override = ScheduleOverride.objects.filter(pk=pk).first()
        if override is None:
            raise Http404("No override with this id.")
        schedule_override_remove(override=override, acting_user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Leave -----------------------------------------------------------------------------------


class LeaveListView(APIView):
    permission_classes = [AgencyPeople]

    @extend_schema(
        operation_id="v1_leave_list",
        parameters=[CURSOR],
        responses=_page_of(LeaveSerializer),
        summary="Your leave, current and coming, by start",
    )
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        leave = Leave.objects.filter(user=user, end__gt=timezone.now()).select_related("user")
        paginator = ByStart()
        page = paginator.paginate_queryset(leave, request, view=self) or []
        return paginator.get_paginated_response(
            LeaveSerializer([_leave_body(item) for item in page], many=True).data
        )

    @extend_schema(
        request=LeaveCreateSerializer,
        responses={201: LeaveSerializer},
        summary="Enter leave: yours, or anyone's for account managers and agency admins",
    )
    def post(self, request: Request) -> Response:
        user = acting_user(request)
        data = validated_body(request, LeaveCreateSerializer)
        [person] = _users([data["user"]], "user") if "user" in data else [user]
        leave = leave_record(
            user=person, start=data["start"], end=data["end"], note=data["note"], acting_user=user
        )
        return Response(LeaveSerializer(_leave_body(leave)).data, status=status.HTTP_201_CREATED)


class LeaveDetailView(APIView):
    permission_classes = [AgencyPeople]

    @extend_schema(
        responses={204: None},
        summary="Remove leave: yours, or anyone's for account managers and agency admins",
    )
    def delete(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        leave = Leave.objects.filter(pk=pk).first()
        if leave is None or (leave.user_id != user.pk and not user_can_manage_clients(user=user)):
            raise Http404("No leave of yours with this id.")
        leave_remove(leave=leave, acting_user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Swaps -----------------------------------------------------------------------------------


def _swaps(user: User) -> Any:
    return swaps_for_person(user=user).select_related(
        "schedule", "offered_by", "taken_by", "decided_by"
    )


def _swap_for(user: User, pk: int) -> ShiftSwap:
    swap = _swaps(user).filter(pk=pk).first()
    if swap is None:
        raise Http404("No swap with this id.")
    return swap  # type: ignore[no-any-return]


class SwapListView(APIView):
    permission_classes = [AgencyPeople]

    @extend_schema(
        operation_id="v1_swaps_list",
        parameters=[SwapQuery, CURSOR],
        responses=_page_of(SwapSerializer),
        summary="The swaps you see: yours, open offers on your schedules; managers: all",
    )
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        query = SwapQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        swaps = _swaps(user)
        if "status" in query.validated_data:
            swaps = swaps.filter(status=query.validated_data["status"])
        paginator = NewestFirst()
        page = paginator.paginate_queryset(swaps, request, view=self) or []
        return paginator.get_paginated_response(
            SwapSerializer([_swap_body(s) for s in page], many=True).data
        )

    @extend_schema(
        request=SwapOfferSerializer,
        responses={201: SwapSerializer},
        summary="Offer a stretch of your shifts to a colleague",
    )
    def post(self, request: Request) -> Response:
        user = acting_user(request)
        data = validated_body(request, SwapOfferSerializer)
        schedule = schedules_for_person(user=user).filter(pk=data["schedule"]).first()
        if schedule is None:
            raise serializers.ValidationError({"schedule": ["No schedule of yours with this id."]})
        roster_stretch_check(data["start"], data["end"], longest=LONGEST_SWAP)
        swap = swap_offer(
            schedule=schedule,
            offered_by=user,
            start=data["start"],
            end=data["end"],
            note=data["note"],
        )
        return Response(
            SwapSerializer(_swap_body(_swap_for(user, swap.pk))).data,
            status=status.HTTP_201_CREATED,
        )


CONFLICT = error_response("The swap is no longer in a state that allows this.")


class SwapTakeView(APIView):
    permission_classes = [AgencyPeople]

    @extend_schema(
        request=None,
        responses={200: SwapSerializer, 409: CONFLICT},
        summary="Take an offered swap; it changes nothing until it is approved",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        swap = swap_take(swap=_swap_for(user, pk), taken_by=user)
        return Response(SwapSerializer(_swap_body(_swap_for(user, swap.pk))).data)


class SwapDecideView(APIView):
    permission_classes = [AgencyPeople]
    approve = True

    def post(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        swap = swap_decide(swap=_swap_for(user, pk), approve=self.approve, acting_user=user)
        return Response(SwapSerializer(_swap_body(_swap_for(user, swap.pk))).data)


class SwapApproveView(SwapDecideView):
    approve = True

    @extend_schema(
        request=None,
        responses={200: SwapSerializer, 409: CONFLICT},
        summary="Approve a taken swap: the taker's override (account managers and agency admins)",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class SwapRejectView(SwapDecideView):
    approve = False

    @extend_schema(
        request=None,
        responses={200: SwapSerializer, 409: CONFLICT},
        summary="Reject a taken swap (account managers and agency admins)",
    )
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)


class SwapWithdrawView(APIView):
    permission_classes = [AgencyPeople]

    @extend_schema(
        request=None,
        responses={200: SwapSerializer, 409: CONFLICT},
        summary="Withdraw your offer (before it is decided)",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        swap = swap_withdraw(swap=_swap_for(user, pk), acting_user=user)
        return Response(SwapSerializer(_swap_body(_swap_for(user, swap.pk))).data)


# --- My shifts -------------------------------------------------------------------------------


class MyShiftsView(APIView):
    permission_classes = [AgencyPeople]

    @extend_schema(
        parameters=[ShiftsQuery],
        responses=ShiftsSerializer,
        summary="Your shifts of the next days on every schedule, primary or backup",
    )
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        query = ShiftsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start = timezone.now()
        end = start + timedelta(days=query.validated_data["days"])
        brands = _visible_brands(user)
        found = person_shifts(user=user, start=start, end=end)
        body = {
            "start": start,
            "end": end,
            "shifts": [
                {
                    "schedule": {
                        "id": s.schedule.pk,
                        "name": s.schedule.name,
                        "timezone": s.schedule.timezone,
                    },
                    "role": s.role,
                    "start": s.start,
                    "end": s.end,
                    "covers_all": s.schedule.covers_all,
                    "brands": _brand_refs(s.schedule, brands),
                }
                for s in found
            ],
        }
        return Response(ShiftsSerializer(body).data)
