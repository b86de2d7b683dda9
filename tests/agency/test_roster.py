"""The roster of the 24/7 watch in the public schema: schedules of agency people covering some
brands or all, who is on duty for each brand (a brand nobody covers shows as such), leave,
swaps that change nothing until an account manager approves them, and a new brand joining the
default schedule at onboarding."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agency.exceptions import PermissionDeniedError
from agency.models import AuditEvent, Schedule, ScheduleOverride, SwapStatus
from agency.roster import (
    RosterError,
    SwapConflictError,
    leave_add,
    on_duty_for_brands,
    schedule_create,
    schedule_layer_add,
    schedule_plan,
    swap_decide,
    swap_offer,
    swap_take,
    swap_withdraw,
)
from clients.services import client_onboard

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=AMS).astimezone(UTC)


def day_desk(world, *people) -> Schedule:  # type: ignore[no-untyped-def]
    """Alpha's desk: a daily rotation at 09:00 Amsterdam time."""
    schedule = schedule_create(name="Alpha desk", brands=[world.alpha], acting_user=world.manager)
    schedule_layer_add(
        schedule=schedule,
        people=people or (world.staff_a, world.staff_b),
        starts_on=date(2026, 3, 2),
        hand_off=time(9),
        acting_user=world.manager,
    )
    return schedule


def test_who_is_on_duty_for_each_brand_and_a_brand_nobody_covers(world):
    day_desk(world)
    moment = at("2026-03-02 12:00")  # the rotation's first day: staff_a
    found = on_duty_for_brands(clients=[world.alpha, world.bravo], at=moment)
    cover, schedule = found[world.alpha.pk]
    assert (cover.primary, cover.backup) == (str(world.staff_a.pk), str(world.staff_b.pk))
    assert schedule is not None and schedule.name == "Alpha desk"
    assert found[world.bravo.pk] == (found[world.bravo.pk][0], None)
    assert found[world.bravo.pk][0].primary is None  # alpha's desk does not watch bravo
    night = schedule_create(name="Night desk", covers_all=True, acting_user=world.admin)
    schedule_layer_add(
        schedule=night,
        people=[world.manager],
        starts_on=date(2026, 3, 2),
        hand_off=time(20),
        acting_user=world.admin,
    )
    found = on_duty_for_brands(clients=[world.alpha, world.bravo], at=moment)
    assert found[world.bravo.pk][0].primary == str(world.manager.pk)
    assert found[world.alpha.pk][0].primary == str(world.staff_a.pk)  # its own desk first
    assert AuditEvent.objects.filter(verb="schedule.layer_added").count() == 2


def test_the_plan_keeps_nine_oclock_hand_offs_across_the_spring_change(world):
    schedule = day_desk(world)
    plan = schedule_plan(
        schedule=schedule, start=at("2026-03-28 09:00"), end=at("2026-03-30 09:00")
    )
    slots = plan.slots(at("2026-03-28 09:00"), at("2026-03-30 09:00"))
    assert [s.end - s.start for s in slots] == [timedelta(hours=23), timedelta(hours=24)]
    assert {s.start.astimezone(AMS).time() for s in slots} == {time(9)}


def test_only_agency_people_take_shifts(world):
    schedule = schedule_create(name="Odd desk", acting_user=world.manager)
    for person in (world.viewer_a, world.outsider):
        with pytest.raises(RosterError, match="Only agency people"):
            schedule_layer_add(
                schedule=schedule,
                people=[world.staff_a, person],
                starts_on=date(2026, 3, 2),
                hand_off=time(9),
                acting_user=world.manager,
            )
    with pytest.raises(RosterError, match="IANA"):
        schedule_create(name="Mars desk", timezone_name="Mars/Olympus", acting_user=None)
    with pytest.raises(RosterError, match="weekdays"):
        schedule_layer_add(
            schedule=schedule,
            people=[world.staff_a],
            starts_on=date(2026, 3, 2),
            hand_off=time(9),
            windows=[{"weekdays": [7], "start": "08:00", "end": "20:00"}],
            acting_user=world.manager,
        )


def test_leave_empties_the_slot_and_the_brand_shows_uncovered(world):
    day_desk(world, world.staff_a)
    leave_add(
        user=world.staff_a,
        start=at("2026-03-10 00:00"),
        end=at("2026-03-12 00:00"),
        acting_user=None,
    )
    assert (
        on_duty_for_brands(clients=[world.alpha], at=at("2026-03-11 12:00"))[world.alpha.pk][
            0
        ].primary
        is None
    )
    back = on_duty_for_brands(clients=[world.alpha], at=at("2026-03-12 12:00"))[world.alpha.pk][0]
    assert back.primary == str(world.staff_a.pk)


def test_a_swap_changes_nothing_until_an_account_manager_approves_it(world):
    schedule = day_desk(world)
    stretch = (at("2026-03-02 12:00"), at("2026-03-02 18:00"))  # staff_a's day
    with pytest.raises(RosterError, match="on duty"):
        swap_offer(schedule=schedule, offered_by=world.staff_b, start=stretch[0], end=stretch[1])
    swap = swap_offer(schedule=schedule, offered_by=world.staff_a, start=stretch[0], end=stretch[1])
    with pytest.raises(RosterError, match="Someone else"):
        swap_take(swap=swap, taken_by=world.staff_a)
    swap = swap_take(swap=swap, taken_by=world.staff_b)
    assert swap.status == SwapStatus.TAKEN
    moment = at("2026-03-02 14:00")
    assert on_duty_for_brands(clients=[world.alpha], at=moment)[world.alpha.pk][0].primary == str(
        world.staff_a.pk
    )  # taken, not approved: nothing changed
    with pytest.raises(SwapConflictError):
        swap_take(swap=swap, taken_by=world.admin)
    with pytest.raises(PermissionDeniedError):
        swap_decide(swap=swap, approve=True, acting_user=world.staff_b)
    swap = swap_decide(swap=swap, approve=True, acting_user=world.manager)
    assert swap.status == SwapStatus.APPROVED and swap.override is not None
    cover = on_duty_for_brands(clients=[world.alpha], at=moment)[world.alpha.pk][0]
    assert cover.primary == str(world.staff_b.pk)
    # outside the stretch, the rotation as before
    after = on_duty_for_brands(clients=[world.alpha], at=at("2026-03-02 19:00"))[world.alpha.pk][0]
    assert after.primary == str(world.staff_a.pk)
    with pytest.raises(SwapConflictError):
        swap_decide(swap=swap, approve=False, acting_user=world.manager)
    with pytest.raises(SwapConflictError):
        swap_withdraw(swap=swap, acting_user=world.staff_a)


def test_a_rejected_or_withdrawn_swap_leaves_the_rotation_alone(world):
    schedule = day_desk(world)
    stretch = (at("2026-03-02 12:00"), at("2026-03-02 18:00"))
    rejected = swap_take(
        swap=swap_offer(
            schedule=schedule, offered_by=world.staff_a, start=stretch[0], end=stretch[1]
        ),
        taken_by=world.staff_b,
    )
    swap_decide(swap=rejected, approve=False, acting_user=world.admin)
    withdrawn = swap_offer(
        schedule=schedule, offered_by=world.staff_a, start=stretch[0], end=stretch[1]
    )
    with pytest.raises(PermissionDeniedError):
        swap_withdraw(swap=withdrawn, acting_user=world.staff_b)
    swap_withdraw(swap=withdrawn, acting_user=world.staff_a)
    assert not ScheduleOverride.objects.exists()
    assert on_duty_for_brands(clients=[world.alpha], at=at("2026-03-02 14:00"))[world.alpha.pk][
        0
    ].primary == str(world.staff_a.pk)


def test_a_new_brand_joins_the_default_schedule(world):
    schedule_create(name="Agency desk", is_default=True, acting_user=world.admin)
    with pytest.raises(RosterError, match="default"):
        schedule_create(name="Second default", is_default=True, acting_user=world.admin)
    lima = client_onboard(name="Lima Lamps", slug="lima")
    assert list(Schedule.objects.get(is_default=True).brands.all()) == [lima]


def test_on_duty_costs_the_same_queries_for_any_number_of_brands_and_schedules(world):
    day_desk(world)
    clients = [world.alpha, world.bravo]
    on_duty_for_brands(clients=clients)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            on_duty_for_brands(clients=clients, at=at("2026-03-02 12:00"))
        return len(captured)

    few = count()
    for n in range(4):
        other = schedule_create(name=f"Desk {n}", brands=[world.bravo], acting_user=None)
        schedule_layer_add(
            schedule=other,
            people=[world.staff_b, world.manager],
            starts_on=date(2026, 3, 2),
            hand_off=time(8),
            acting_user=None,
        )
    assert count() == few == 6
