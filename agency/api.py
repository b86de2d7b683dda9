"""The agency-host API about the user (who am I, API tokens) and the coverage board."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import (
    AuthenticationFailed,
    Throttled,
    ValidationError,
)
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agency.api_base import acting_user, reject_unknown_fields
from agency.permissions import AgencyPeople, Authenticated
from agency.roster import COVERED, coverage_board
from agency.selectors import clients_for_user, user_agency_role
from agency.throttling import ClientIPRateThrottle, login_failure_record, login_lockout_seconds
from clients.api import ClientSerializer


class MeSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    mfa_enabled = serializers.BooleanField()
    clients = ClientSerializer(many=True)


class MeView(APIView):
    permission_classes = [Authenticated]

    @extend_schema(responses=MeSerializer, summary="You, your role and the brands you may open")
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        role = user_agency_role(user=user)
        data = {
            "email": user.email,
            "full_name": user.full_name,
            "role": role.value if role else None,
            "mfa_enabled": get_mfa_adapter().is_mfa_enabled(user),
            "clients": clients_for_user(user=user),
        }
        return Response(MeSerializer(data).data)


class TokenRequestSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False)
    code = serializers.CharField(required=False, help_text="TOTP code, for users with MFA on.")


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField()


class TokenThrottle(ClientIPRateThrottle):
    scope = "auth_token"
    rate = "20/min"


class TokenView(APIView):
    """Exchange e-mail and password (and a TOTP code where MFA is on) for an API token.

    Limited per client IP (TokenThrottle) and per account: after too many failed log-ins the
    account is refused with 429 and Retry-After, the right password too (agency.throttling).
    """

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [TokenThrottle]

    @extend_schema(
        request=TokenRequestSerializer, responses=TokenSerializer, summary="Get an API token"
    )
    def post(self, request: Request) -> Response:
        reject_unknown_fields(request.data, {"email", "password", "code"})
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        email = data["email"].lower()
        locked_for = login_lockout_seconds(email=email)
        if locked_for:
            raise Throttled(
                wait=locked_for,
                detail="Too many failed log-ins for this account; it is locked for now.",
                code="account_locked",
            )
        user = authenticate(request._request, email=email, password=data["password"])
        if user is None or not user.is_active:
            login_failure_record(email=email)
            raise AuthenticationFailed("E-mail or password is wrong.")
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is not None:
            code = data.get("code")
            if not code:
                raise ValidationError({"code": ["MFA is on for this user: give the TOTP code."]})
            if not TOTP(totp).validate_code(code):
                login_failure_record(email=email)
                raise ValidationError({"code": ["The TOTP code is wrong or expired."]})
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)


class CoverageQuery(serializers.Serializer[Any]):
    days = serializers.IntegerField(min_value=1, max_value=28, default=14)


class StretchSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class OverloadSerializer(StretchSerializer):
    person = serializers.EmailField()


class BrandCoverageSerializer(serializers.Serializer[Any]):
    slug = serializers.SlugField()
    name = serializers.CharField()
    on_duty = serializers.EmailField(allow_null=True, help_text="The primary at the board's start.")
    hours_without_cover = serializers.IntegerField()
    gaps = StretchSerializer(many=True, help_text="Stretches with nobody (or only part) on duty.")
    overloaded = OverloadSerializer(
        many=True, help_text="Stretches whose person holds more brands at once than they can."
    )


class CoverageSerializer(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    hours = serializers.IntegerField()
    brands = BrandCoverageSerializer(many=True)


def _stretches(hours: list[Any], marks: list[bool]) -> list[dict[str, Any]]:
    """Consecutive marked hours as {start, end}."""
    found: list[dict[str, Any]] = []
    for n, marked in enumerate(marks):
        if not marked:
            continue
        end = hours[n] + timedelta(hours=1)
        if found and found[-1]["end"] == hours[n]:
            found[-1]["end"] = end
        else:
            found.append({"start": hours[n], "end": end})
    return found


class CoverageView(APIView):
    """The coverage board as data, for the agency's people, on the brands each covers."""

    permission_classes = [AgencyPeople]

    @extend_schema(
        parameters=[CoverageQuery],
        responses=CoverageSerializer,
        summary="Who covers each brand hour by hour, and where nobody does",
    )
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        query = CoverageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        board = coverage_board(
            clients=list(clients_for_user(user=user)), days=query.validated_data["days"]
        )

        def email(key: str | None) -> str | None:
            person = board.people.get(key) if key else None
            return person.email if person else None

        brands = []
        for row in board.rows:
            overloaded = []
            for person in {c.primary for c in row.cells if c.overloaded and c.primary}:
                marks = [c.overloaded and c.primary == person for c in row.cells]
                overloaded += [
                    {**s, "person": email(person)} for s in _stretches(board.hours, marks)
                ]
            brands.append(
                {
                    "slug": row.client.slug,
                    "name": row.client.name,
                    "on_duty": email(row.cells[0].primary),
                    "hours_without_cover": row.gap_hours,
                    "gaps": _stretches(board.hours, [c.state != COVERED for c in row.cells]),
                    "overloaded": sorted(overloaded, key=lambda s: s["start"]),
                }
            )
        data = {"start": board.hours[0], "hours": len(board.hours), "brands": brands}
        return Response(CoverageSerializer(data).data)
