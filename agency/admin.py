"""The Django admin for agency admins: people, who may do what, the audit trail and the desk's
status rows, the roster. Memberships, audit events, status rows and the roster are written by
services (agency.services, monitoring.services.status, agency.roster), so here they are
read-only; a person's name and whether the account is active may be changed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from agency.models import (
    AuditEvent,
    BrandStatus,
    Leave,
    Membership,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    ShiftSwap,
    User,
)


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shown, never written here: the service that owns these rows writes them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff")
    search_fields = ("email", "full_name")
    fields = ("email", "full_name", "is_active", "is_staff", "date_joined", "last_login")
    readonly_fields = ("email", "is_staff", "date_joined", "last_login")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people are invited through the memberships service

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: the audit trail names them


@admin.register(Membership)
class MembershipAdmin(ReadOnly):
    list_display = ("user", "role", "client", "created_at")
    list_filter = ("role",)
    search_fields = ("user__email", "client__slug")
    list_select_related = ("user", "client")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnly):
    list_display = ("created_at", "verb", "client_slug", "actor")
    list_filter = ("verb",)
    search_fields = ("client_slug", "verb", "actor__email")
    list_select_related = ("actor",)


@admin.register(BrandStatus)
class BrandStatusAdmin(ReadOnly):
    list_display = ("client", "state", "open_alerts", "alert_level", "updated_at")
    list_filter = ("state",)
    ordering = ("-rank",)
    list_select_related = ("client",)


# The roster: written by agency.roster (each change with its audit event), read here.
@admin.register(Schedule)
class ScheduleAdmin(ReadOnly):
    list_display = ("name", "timezone", "covers_all", "is_default", "created_at")


@admin.register(ScheduleLayer)
class ScheduleLayerAdmin(ReadOnly):
    list_display = ("schedule", "name", "role", "priority", "starts_on", "hand_off", "shift_hours")
    list_filter = ("schedule", "role")


@admin.register(ScheduleOverride)
class ScheduleOverrideAdmin(ReadOnly):
    list_display = ("schedule", "user", "start", "end", "reason")
    list_filter = ("schedule",)


@admin.register(Leave)
class LeaveAdmin(ReadOnly):
    list_display = ("user", "start", "end", "note")


@admin.register(ShiftSwap)
class ShiftSwapAdmin(ReadOnly):
    list_display = ("schedule", "offered_by", "taken_by", "start", "end", "status")
    list_filter = ("status",)
