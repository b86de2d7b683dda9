"""Reminders before a shift and notices of a changed schedule, observed as outbox rows: the
primary and the backup of a shift starting within half an hour are reminded once, in their
language, of the brands they will cover; a change tells the schedule's people but not who
made it, once per change, and only once it has committed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from agency.models import Notification, NotificationTopic, Role, Schedule, User
from agency.reminders import shift_reminders_send
from agency.roster import (
    leave_add,
    schedule_create,
    schedule_layer_add,
    schedule_override_add,
    swap_decide,
    swap_offer,
    swap_take,
)
from agency.services import membership_grant
from clients.models import Client
from tests.agency.factories import UserFactory
from tests.conftest import World

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=AMS).astimezone(UTC)


def person(world: World, name: str, *, language: str = "en") -> User:
    user = UserFactory.create(email=f"{name}@example.test", language=language)
    membership_grant(user=user, role=Role.AGENCY_STAFF, client=world.alpha)
    return user


def desk(world: World, name: str, people: list[User], **options: object) -> Schedule:
    """A daily rotation at 09:00 Amsterdam time from Monday 1 February 2027."""
    schedule = schedule_create(name=name, acting_user=world.admin, **options)  # type: ignore[arg-type]
    schedule_layer_add(
        schedule=schedule,
        people=people,
        starts_on=date(2027, 2, 1),
        hand_off=time(9),
        acting_user=world.admin,
    )
    return schedule


def reminders(user: User) -> list[Notification]:
    return list(Notification.objects.filter(topic=NotificationTopic.SHIFT, user=user))


def notices(user: User) -> list[Notification]:
    return list(Notification.objects.filter(topic=NotificationTopic.SCHEDULE, user=user))


# --- Reminders ---------------------------------------------------------------------------------


def test_a_shift_starting_in_20_minutes_reminds_its_primary_and_backup_once(world):
    carol = person(world, "carol")
    alpha = desk(world, "Alpha desk", [world.staff_a, world.staff_b, carol], brands=[world.alpha])
    dave = person(world, "dave")
    desk(world, "Bravo desk", [dave], brands=[world.bravo])
    # Monday 09:00: staff_a primary, staff_b backup; Tuesday 09:00: staff_b, carol.
    assert shift_reminders_send(now=at("2027-02-02 08:20")) == 0  # 40 minutes ahead: not yet
    assert shift_reminders_send(now=at("2027-02-02 08:40")) == 2
    assert shift_reminders_send(now=at("2027-02-02 08:40")) == 0
    assert shift_reminders_send(now=at("2027-02-02 08:45")) == 0
    (primary,) = reminders(world.staff_b)
    (backup,) = reminders(carol)
    assert reminders(world.staff_a) == [] and reminders(dave) == []
    start = at("2027-02-02 09:00")
    assert primary.key.startswith(
        f"shift:{alpha.pk}:primary:{world.staff_b.pk}:{start.isoformat()}"
    )
    assert backup.key.startswith(f"shift:{alpha.pk}:backup:{carol.pk}:{start.isoformat()}")
    for row in (primary, backup):
        assert row.subject == "Your shift starts at 09:00"
        assert "Alpha desk" in row.body and "2027-02-02 09:00 (UTC+01:00)" in row.body
        assert "Alpha Bakery" in row.body
        assert "Bravo Boats" not in row.body  # the brand of another schedule
        assert row.link.endswith("/shifts/") and row.link in row.body
    assert "primary" in primary.body and "backup" in backup.body
    # Once the shift has started there is nothing to remind of until the next one.
    assert shift_reminders_send(now=at("2027-02-02 09:05")) == 0
    assert len(reminders(world.staff_b)) == 1


def test_a_person_is_reminded_when_they_take_the_role_not_when_their_partner_changes(world):
    carol = person(world, "carol")
    schedule = desk(world, "Alpha desk", [world.staff_a, world.staff_b], brands=[world.alpha])
    schedule_layer_add(
        schedule=schedule,
        people=[carol, world.staff_b],
        starts_on=date(2027, 2, 1),
        hand_off=time(21),
        role="backup",
        acting_user=world.admin,
    )
    # Monday 21:00 the backup layer hands over from staff_b to carol; staff_a stays primary.
    assert shift_reminders_send(now=at("2027-02-01 20:40")) == 1
    assert len(reminders(carol)) == 1
    assert reminders(world.staff_a) == [] and reminders(world.staff_b) == []


def test_a_schedule_of_every_brand_says_so_with_the_count(world):
    desk(world, "Night desk", [world.staff_a, world.staff_b], covers_all=True)
    shift_reminders_send(now=at("2027-02-01 08:45"))
    (row,) = reminders(world.staff_a)
    count = Client.objects.brands().count()
    assert f"Brands: every brand ({count} in all)." in row.body


def test_a_dutch_person_is_reminded_in_dutch(world):
    nina = person(world, "nina", language="nl")
    desk(world, "Alpha desk", [nina, world.staff_b], brands=[world.alpha])
    shift_reminders_send(now=at("2027-02-01 08:45"))
    (row,) = reminders(nina)
    assert row.subject == "Je dienst begint om 09:00"
    assert "Merken: Alpha Bakery." in row.body
    (english,) = reminders(world.staff_b)
    assert english.subject == "Your shift starts at 09:00"


# --- Notices of a change -----------------------------------------------------------------------


def test_a_change_notifies_its_people_except_the_actor_once(
    world, django_capture_on_commit_callbacks
):
    carol = person(world, "carol")
    dave = person(world, "dave")
    with django_capture_on_commit_callbacks(execute=True):
        schedule = desk(world, "Alpha desk", [world.staff_a, world.staff_b], brands=[world.alpha])
        desk(world, "Other desk", [dave], brands=[world.bravo])
    assert len(notices(world.staff_a)) == len(notices(world.staff_b)) == 1  # the new rotation
    assert notices(world.admin) == []  # who made it
    start, end = at("2027-02-03 13:00"), at("2027-02-03 21:00")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        schedule_override_add(
            schedule=schedule, user=carol, start=start, end=end, acting_user=world.staff_a
        )
        assert (
            Notification.objects.filter(topic=NotificationTopic.SCHEDULE, user=carol).count() == 0
        )
    assert callbacks  # written after the commit, not in the change's transaction
    (taker,) = notices(carol)
    assert taker.subject == "Schedule changed: Alpha desk"
    assert "takes the shifts from 2027-02-03 13:00 (UTC+01:00) to 2027-02-03 21:00" in taker.body
    assert carol.full_name in taker.body and taker.link.endswith("/shifts/")
    assert len(notices(world.staff_b)) == 2
    assert len(notices(world.staff_a)) == 1  # the actor: nothing about their own change
    assert len(notices(dave)) == 1  # only his own schedule's rotation
    # Another change is another notice; a change rolled back is none.
    with django_capture_on_commit_callbacks(execute=True):
        schedule_override_add(
            schedule=schedule, user=carol, start=end, end=end + timedelta(hours=2), acting_user=None
        )
        with pytest.raises(RuntimeError), transaction.atomic():
            schedule_override_add(
                schedule=schedule,
                user=carol,
                start=start,
                end=end,
                acting_user=world.manager,
            )
            raise RuntimeError("rolled back")
    assert len(notices(carol)) == 2 and len(notices(world.staff_a)) == 2


def test_a_swap_decision_tells_the_offerer_and_the_taker(world, django_capture_on_commit_callbacks):
    schedule = desk(world, "Alpha desk", [world.staff_a, world.staff_b], brands=[world.alpha])
    start, end = at("2027-02-03 10:00"), at("2027-02-03 18:00")  # staff_a's day
    for approve in (True, False):
        swap = swap_offer(schedule=schedule, offered_by=world.staff_a, start=start, end=end)
        swap_take(swap=swap, taken_by=world.staff_b)
        with django_capture_on_commit_callbacks(execute=True):
            swap_decide(swap=swap, approve=approve, acting_user=world.manager)
        start, end = start + timedelta(days=2), end + timedelta(days=2)
    offerer, taker = notices(world.staff_a), notices(world.staff_b)
    assert len(offerer) == len(taker) == 2 and notices(world.manager) == []
    assert "Swap approved" in offerer[0].body and world.staff_b.full_name in offerer[0].body
    assert "Swap not approved" in taker[1].body


def test_leave_tells_the_persons_rotation_colleagues(world, django_capture_on_commit_callbacks):
    dave = person(world, "dave")
    desk(world, "Alpha desk", [world.staff_a, world.staff_b], brands=[world.alpha])
    desk(world, "Bravo desk", [dave], brands=[world.bravo])
    with django_capture_on_commit_callbacks(execute=True):
        leave_add(
            user=world.staff_a,
            start=at("2027-02-10 00:00"),
            end=at("2027-02-12 00:00"),
            acting_user=world.staff_a,
        )
    (row,) = notices(world.staff_b)
    assert "is away from 2027-02-10 00:00 (UTC+01:00)" in row.body
    assert notices(world.staff_a) == [] and notices(dave) == []
