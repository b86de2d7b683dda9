"""Gaps in cover within the next days are told to the brand's account managers: once when they
first show, again when a day away, never twice at the same stage (also while a gap is under
way and its first hour moves on); a brand's named account manager only, or every account
manager when it has none; brands that are covered are not mentioned."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from agency.gap_notices import coverage_gaps, coverage_gaps_notify
from agency.models import GapNotice, Notification, Role
from agency.roster import schedule_create, schedule_layer_add
from clients.models import Client
from tests.conftest import agency_person

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


@pytest.fixture
def office_hours(world):  # type: ignore[no-untyped-def]
    """Alpha covered 09:00-17:00 Amsterdam on weekdays; bravo around the clock."""
    office = schedule_create(name="Alpha office", brands=[world.alpha], acting_user=world.manager)
    schedule_layer_add(
        schedule=office,
        people=[world.staff_a],
        starts_on=date(2026, 3, 1),
        hand_off=time(9),
        windows=[{"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}],
        acting_user=world.manager,
    )
    always = schedule_create(name="Bravo desk", brands=[world.bravo], acting_user=world.manager)
    schedule_layer_add(
        schedule=always,
        people=[world.staff_b],
        starts_on=date(2026, 3, 1),
        hand_off=time(9),
        acting_user=world.manager,
    )


def told(user) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.body for n in Notification.objects.filter(topic="gap", user=user).order_by("id")]


def test_gaps_are_told_once_then_again_a_day_ahead(world, office_hours):
    gaps = coverage_gaps(clients=[world.alpha, world.bravo], now=MONDAY, days=3)
    assert {g.client.slug for g in gaps} == {"alpha"}
    # Monday 00:00-08:00 UTC (to 09:00 Amsterdam), then 16:00 UTC to Tuesday 08:00, ...
    assert (gaps[0].start, gaps[0].end) == (MONDAY, MONDAY + timedelta(hours=8))
    assert gaps[1].hours == 16

    written = coverage_gaps_notify(now=MONDAY, days=3)
    assert written == len(gaps)
    (body,) = told(world.manager)
    assert "Alpha Bakery" in body and "Bravo Boats" not in body
    assert body.count("within a day") == 2  # tonight's and this morning's are soon
    # An hour later: the gap under way starts an hour later, nothing is new.
    assert coverage_gaps_notify(now=MONDAY + timedelta(hours=1), days=3) == 0
    # Tuesday: the gap of Wednesday night is a day away now: told again, as soon.
    assert coverage_gaps_notify(now=MONDAY + timedelta(days=1, hours=1), days=3) >= 1
    assert "within a day" in told(world.manager)[-1]
    assert GapNotice.objects.filter(client=world.bravo).count() == 0


def test_a_brand_with_its_own_account_manager_tells_only_them(world, office_hours):
    own = agency_person("ann", role=Role.ACCOUNT_MANAGER)
    Client.objects.filter(pk=world.alpha.pk).update(account_manager=own)
    coverage_gaps_notify(now=MONDAY, days=2)
    assert len(told(own)) == 1
    assert told(world.manager) == []
    assert told(world.staff_a) == [] and told(world.viewer_a) == []
