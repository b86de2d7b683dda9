"""The coverage board: the next 14 days, brand by hour, from the roster: covered, partly,
nobody, and one person on too many brands at once; the page for the agency's people, on the
brands each covers, in a fixed number of queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from agency.roster import (
    COVERED,
    GAP,
    PARTIAL,
    coverage_board,
    schedule_create,
    schedule_layer_add,
)
from clients.services import client_onboard

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2026, 3, 2, 0, 0, tzinfo=AMS).astimezone(UTC)  # Monday 00:00 in Amsterdam


def day_desk(world, brands, people, hand_off=time(8)):  # type: ignore[no-untyped-def]
    schedule = schedule_create(name=f"Desk {hand_off}", brands=brands, acting_user=None)
    schedule_layer_add(
        schedule=schedule,
        people=people,
        starts_on=date(2026, 3, 2),
        hand_off=hand_off,
        shift_hours=12,
        windows=[{"weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "20:00"}],
        acting_user=None,
    )
    return schedule


def local_hour(board, n: int) -> int:  # type: ignore[no-untyped-def]
    return board.hours[n].astimezone(AMS).hour


def test_a_day_desk_leaves_nights_and_weekends_as_gaps_and_other_brands_uncovered(world):
    day_desk(world, [world.alpha], [world.staff_a])
    board = coverage_board(clients=[world.alpha, world.bravo], start=MONDAY, days=7)
    alpha, bravo = board.rows
    assert len(board.hours) == 7 * 24 and len(alpha.cells) == 7 * 24
    for n, cell in enumerate(alpha.cells[: 5 * 24]):  # Monday to Friday
        expected = COVERED if 8 <= local_hour(board, n) < 20 else GAP
        assert cell.state == expected, (board.hours[n], cell)
    assert all(cell.state == GAP for cell in alpha.cells[5 * 24 :])  # the weekend
    assert alpha.cells[9].primary == str(world.staff_a.pk)
    assert all(cell.state == GAP and cell.primary is None for cell in bravo.cells)
    assert alpha.gap_hours == 7 * 24 - 5 * 12 and bravo.gap_hours == 7 * 24


def test_a_window_ending_inside_an_hour_makes_it_partial(world):
    schedule = schedule_create(name="Short desk", brands=[world.alpha], acting_user=None)
    schedule_layer_add(
        schedule=schedule,
        people=[world.staff_a],
        starts_on=date(2026, 3, 2),
        hand_off=time(8),
        windows=[{"weekdays": [0], "start": "08:00", "end": "12:30"}],
        acting_user=None,
    )
    cells = coverage_board(clients=[world.alpha], start=MONDAY, days=1).rows[0].cells
    assert [c.state for c in cells[8:14]] == [COVERED] * 4 + [PARTIAL, GAP]


def test_one_person_on_too_many_brands_at_once_is_marked(world):
    day_desk(world, [world.alpha, world.bravo], [world.staff_a])
    board = coverage_board(clients=[world.alpha, world.bravo], start=MONDAY, days=1, per_person=1)
    assert all(row.cells[9].overloaded for row in board.rows)
    assert not any(row.cells[2].overloaded for row in board.rows)  # nobody at night
    relaxed = coverage_board(clients=[world.alpha, world.bravo], start=MONDAY, days=1)
    assert not any(cell.overloaded for row in relaxed.rows for cell in row.cells)


def page(user) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST="agency.localhost")
    browser.force_login(user)
    return browser


def test_the_page_shows_each_person_the_brands_they_cover(world):
    day_desk(world, [world.alpha], [world.staff_a])
    manager = page(world.manager).get("/coverage/").content.decode()
    assert "Alpha Bakery" in manager and "Bravo Boats" in manager
    assert manager.count('<svg class="day"') == 2 * 14
    assert "336 hours without cover" in manager  # bravo: nobody in 14 days
    own = page(world.staff_a).get("/coverage/").content.decode()
    assert "Alpha Bakery" in own and "Bravo Boats" not in own
    for who in (world.viewer_a, world.outsider):
        assert page(who).get("/coverage/").status_code == 403


def test_the_page_costs_the_same_queries_for_any_number_of_brands(world):
    day_desk(world, [world.alpha], [world.staff_a])
    browser = page(world.manager)
    browser.get("/coverage/")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/coverage/").status_code == 200
        return len(captured)

    few = count()
    for n in range(3):
        client_onboard(name=f"Mike {n}", slug=f"mike{n}")
    assert count() == few == COVERAGE_QUERIES


COVERAGE_QUERIES = 13


def test_the_api_gives_each_brands_gaps_and_overloads(world):
    from tests.conftest import api_client

    day_desk(world, [world.alpha, world.bravo], [world.staff_a])
    manager = api_client(world, world.manager, None, token=True)
    body = manager.get("/api/v1/coverage/", {"days": 7}).json()
    assert body["hours"] == 7 * 24
    by_slug = {b["slug"]: b for b in body["brands"]}
    assert set(by_slug) == {"alpha", "bravo"}
    alpha = by_slug["alpha"]
    assert alpha["hours_without_cover"] == sum(
        (datetime.fromisoformat(g["end"]) - datetime.fromisoformat(g["start"])).total_seconds()
        // 3600
        for g in alpha["gaps"]
    )
    assert all(g["start"] < g["end"] for g in alpha["gaps"]) and alpha["overloaded"] == []
    own = api_client(world, world.staff_a, None).get("/api/v1/coverage/").json()
    assert [b["slug"] for b in own["brands"]] == ["alpha"]
    for who in (world.viewer_a, world.outsider):
        refused = api_client(world, who, None).get("/api/v1/coverage/")
        assert refused.status_code == 403 and refused.json()["error"]["code"]
    assert manager.get("/api/v1/coverage/", {"days": 99}).status_code == 400
    assert manager.get("/api/v1/coverage/", {"days": "x"}).status_code == 400
