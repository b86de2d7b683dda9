"""The agency-host API of the shift calendars: the secret URL of your own feed, or of a
schedule's (agency admins and account managers), and a reset that stops the old one."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agency.api_base import acting_user
from agency.calendars import calendar_feed_for, calendar_feed_reset, calendar_url
from agency.models import CalendarFeed, Schedule
from agency.permissions import AgencyPeople
from agency.selectors import user_can_manage_clients


class CalendarUrlSerializer(serializers.Serializer[Any]):
    url = serializers.URLField(
        help_text="The iCal feed to subscribe to (Google Calendar, Outlook, Apple Calendar). "
        "Whoever has it reads the shifts: keep it to yourself, reset it if it leaked."
    )


def _answer(feed: CalendarFeed) -> Response:
    return Response(CalendarUrlSerializer({"url": calendar_url(feed)}).data)


class MyCalendarView(APIView):
    permission_classes = [AgencyPeople]

    @extend_schema(
        responses=CalendarUrlSerializer, summary="The iCal feed of your shifts (made on first ask)"
    )
    def get(self, request: Request) -> Response:
        return _answer(calendar_feed_for(user=acting_user(request)))


class MyCalendarResetView(APIView):
    permission_classes = [AgencyPeople]

    @extend_schema(
        request=None,
        responses=CalendarUrlSerializer,
        summary="A new URL for your shift feed; the old one stops working",
    )
    def post(self, request: Request) -> Response:
        user = acting_user(request)
        return _answer(calendar_feed_reset(user=user, acting_user=user))


class ScheduleCalendarBase(APIView):
    """A schedule's feed: for agency admins and account managers, who run the schedules."""

    permission_classes = [AgencyPeople]

    def schedule(self, request: Request, pk: int) -> Schedule:
        if not user_can_manage_clients(user=acting_user(request)):
            raise PermissionDenied("Agency admins and account managers share schedules' feeds.")
        schedule = Schedule.objects.filter(pk=pk).first()
        if schedule is None:
            raise NotFound("No schedule with this id.")
        return schedule


class ScheduleCalendarView(ScheduleCalendarBase):
    @extend_schema(
        responses=CalendarUrlSerializer,
        summary="The iCal feed of a schedule's shifts (made on first ask)",
    )
    def get(self, request: Request, pk: int) -> Response:
        return _answer(calendar_feed_for(schedule=self.schedule(request, pk)))


class ScheduleCalendarResetView(ScheduleCalendarBase):
    @extend_schema(
        request=None,
        responses=CalendarUrlSerializer,
        summary="A new URL for a schedule's feed; the old one stops working",
    )
    def post(self, request: Request, pk: int) -> Response:
        schedule = self.schedule(request, pk)
        return _answer(calendar_feed_reset(schedule=schedule, acting_user=acting_user(request)))
