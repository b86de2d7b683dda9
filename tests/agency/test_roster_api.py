"""The roster's API on the agency host (issue 13, point 7) with the role rules of its pages, and
who covers a brand on the brand's host: names only, nothing of another brand. The roster's
operations also run through schemathesis per role on a seeded roster (the contract test of all
operations runs them on an empty one)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agency.models import AuditEvent, Leave, Role, Schedule, ScheduleOverride, ShiftSwap, SwapStatus
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
from tests.agency.factories import UserFactory
from tests.agency.test_openapi_contract import _run, _token, in_process, served_schemas
from tests.agency.test_roster_pages import at, desks, this_monday
from tests.conftest import World, api_client

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
__all__ = ["in_process", "served_schemas"]  # the contract test's fixtures, used here too


def api(world: World, who: str, client: Any = None) -> Any:
    return api_client(world, getattr(world, who), client, token=True)


def error(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    assert body["status"] == response.status_code
    return body


# --- Who may use it ----------------------------------------------------------------------------

ROSTER_GETS = ["/api/v1/schedules/", "/api/v1/leave/", "/api/v1/swaps/", "/api/v1/me/shifts/"]


@pytest.mark.parametrize("who", ["viewer_a", "viewer_b", "outsider"])
def test_client_viewers_and_outsiders_are_refused(world, who):
    made = desks(world)
    paths = [*ROSTER_GETS, f"/api/v1/schedules/{made['alpha'].pk}/"]
    for path in paths:
        response = api(world, who).get(path)
        assert response.status_code == 403 and error(response)["code"], path
    refused = api(world, who).post("/api/v1/leave/", {"start": "2026-08-01T00:00Z"}, format="json")
    assert refused.status_code == 403
    assert api(world, who, world.alpha).get("/api/v1/schedules/").status_code == 404


def test_each_role_lists_the_schedules_it_sees_with_rotations_and_who_is_on_duty(world):
    desks(world)
    body = api(world, "manager").get("/api/v1/schedules/").json()
    assert [s["name"] for s in body["results"]] == ["Alpha desk", "Bravo desk", "Night desk"]
    alpha = body["results"][0]
    assert alpha["brands"] == [{"slug": "alpha", "name": "Alpha Bakery"}]
    [layer] = alpha["layers"]
    assert [m["email"] for m in layer["members"]] == [world.staff_a.email, world.staff_b.email]
    assert (layer["hand_off"], layer["shift_hours"], layer["role"]) == ("09:00", 24, "primary")
    assert alpha["on_duty"]["primary"]["email"] in (world.staff_a.email, world.staff_b.email)
    night = body["results"][2]
    assert night["covers_all"] and night["brands"] == []
    assert night["layers"][0]["windows"] == [
        {"weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "20:00", "end": "08:00"}
    ]
    own = api(world, "staff_a").get("/api/v1/schedules/")
    assert [s["name"] for s in own.json()["results"]] == ["Alpha desk", "Night desk"]
    assert b"bravo" not in own.content.lower()


def test_staff_see_only_their_brands_of_a_schedule_and_not_anothers_schedule(world):
    made = desks(world)
    made["alpha"].brands.add(world.bravo)
    body = api(world, "staff_a").get(f"/api/v1/schedules/{made['alpha'].pk}/").json()
    assert body["brands"] == [{"slug": "alpha", "name": "Alpha Bakery"}]
    hidden = api(world, "staff_a").get(f"/api/v1/schedules/{made['bravo'].pk}/")
    assert hidden.status_code == 404 and error(hidden)["code"] == "not_found"
    for path in ("slots/?start=2026-03-02T00:00Z&end=2026-03-03T00:00Z", "overrides/"):
        assert (
            api(world, "staff_a").get(f"/api/v1/schedules/{made['bravo'].pk}/{path}").status_code
            == 404
        )


def test_the_schedule_list_costs_the_same_queries_for_any_number_of_schedules(world):
    desks(world)
    manager = api(world, "manager")
    manager.get("/api/v1/schedules/")  # (the host's brand is looked up once)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager.get("/api/v1/schedules/").status_code == 200
        return len(captured)

    few = count()
    for n in range(4):
        extra = schedule_create(name=f"Extra {n}", brands=[world.alpha], acting_user=None)
        schedule_layer_add(
            schedule=extra,
            people=[world.staff_a, world.admin],
            starts_on=this_monday(),
            hand_off=time(6 + n),
            acting_user=None,
        )
    assert count() == few == SCHEDULE_LIST_QUERIES


# The schema; the token and its user; the role (permission, then the schedules' visibility); a
# page of schedules with their brands, rotations and people (4); the brands (2); who is on duty
# (overrides, leave, people).
SCHEDULE_LIST_QUERIES = 13


# --- Writing schedules ---------------------------------------------------------------------------


def test_a_manager_creates_a_schedule_adds_and_removes_a_rotation_and_changes_it(world):
    manager = api(world, "manager")
    created = manager.post(
        "/api/v1/schedules/",
        {"name": "Sun desk", "timezone": "Australia/Sydney", "brands": ["bravo"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    schedule = created.json()
    assert schedule["brands"] == [{"slug": "bravo", "name": "Bravo Boats"}]
    assert schedule["on_duty"] == {"primary": None, "backup": None}
    layer = manager.post(
        f"/api/v1/schedules/{schedule['id']}/layers/",
        {
            "people": [world.staff_b.email, world.manager.email],
            "starts_on": "2026-03-02",
            "hand_off": "08:00",
            "shift_hours": 12,
            "windows": [{"weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "20:00"}],
            "priority": 3,
        },
        format="json",
    )
    assert layer.status_code == 201, layer.content
    [row] = layer.json()["layers"]
    assert row["windows"] == [{"weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "20:00"}]
    assert [m["email"] for m in row["members"]] == [world.staff_b.email, world.manager.email]
    changed = manager.patch(
        f"/api/v1/schedules/{schedule['id']}/",
        {"name": "Sun and moon desk", "covers_all": True, "brands": []},
        format="json",
    )
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["covers_all"]) == ("Sun and moon desk", True)
    removed = manager.delete(f"/api/v1/layers/{row['id']}/")
    assert removed.status_code == 204
    assert Schedule.objects.get(pk=schedule["id"]).layers.count() == 0
    verbs = set(AuditEvent.objects.filter(actor=world.manager).values_list("verb", flat=True))
    assert verbs >= {
        "schedule.created",
        "schedule.layer_added",
        "schedule.updated",
        "schedule.layer_removed",
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Alpha desk"}, "name"),
        ({"name": "New", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "New", "brands": ["nosuch"]}, "brands"),
        ({"name": "New", "colour": "red"}, "colour"),
    ],
)
def test_a_bad_schedule_is_a_400_on_its_field(world, body, field):
    desks(world)
    response = api(world, "manager").post("/api/v1/schedules/", body, format="json")
    assert response.status_code == 400 and list(error(response)["fields"]) == [field]
    assert Schedule.objects.count() == 3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"people": ["nobody@example.test"]}, "people"),
        ({"people": ["viewer_a@example.test"]}, "people"),
        ({"people": ["staff_a@example.test", "STAFF_A@example.test"]}, "people"),
        ({"starts_on": "1899-01-01"}, "starts_on"),
        ({"shift_hours": 0}, "shift_hours"),
        ({"windows": [{"weekdays": [7], "start": "08:00", "end": "20:00"}]}, "windows"),
        ({"timezone": "Nowhere"}, "timezone"),
        ({"hand_off": "9 o'clock"}, "hand_off"),
    ],
)
def test_a_bad_rotation_is_a_400_on_its_field(world, changes, field):
    alpha = desks(world)["alpha"]
    body = {"people": [world.staff_a.email], "starts_on": "2026-03-02", "hand_off": "09:00"}
    response = api(world, "manager").post(
        f"/api/v1/schedules/{alpha.pk}/layers/", {**body, **changes}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in error(response)["fields"]
    assert alpha.layers.count() == 1


def test_staff_may_read_but_not_change_schedules(world):
    made = desks(world)
    staff = api(world, "staff_a")
    alpha = made["alpha"]
    refused = [
        staff.post("/api/v1/schedules/", {"name": "Mine"}, format="json"),
        staff.patch(f"/api/v1/schedules/{alpha.pk}/", {"name": "Mine"}, format="json"),
        staff.post(
            f"/api/v1/schedules/{alpha.pk}/layers/",
            {"people": [world.staff_a.email], "starts_on": "2026-03-02", "hand_off": "09:00"},
            format="json",
        ),
        staff.delete(f"/api/v1/layers/{alpha.layers.get().pk}/"),
        staff.post(
            f"/api/v1/schedules/{alpha.pk}/overrides/",
            {"user": world.staff_a.email, "start": "2026-03-02T09:00Z", "end": "2026-03-02T10:00Z"},
            format="json",
        ),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert Schedule.objects.count() == 3 and alpha.layers.count() == 1
    assert not ScheduleOverride.objects.exists()


# --- Slots ---------------------------------------------------------------------------------------


def test_slots_meet_end_to_start_across_the_spring_change_with_gaps_and_overrides(world):
    night = desks(world)["night"]
    schedule_override_add(
        schedule=night,
        user=world.staff_a,
        start=at("2026-03-28 22:00"),
        end=at("2026-03-29 02:00"),
        acting_user=None,
    )
    response = api(world, "staff_a").get(
        f"/api/v1/schedules/{night.pk}/slots/",
        {"start": "2026-03-28T12:00:00+01:00", "end": "2026-03-29T12:00:00+02:00"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    slots = body["slots"]
    moments = [datetime.fromisoformat(s["start"]) for s in slots] + [
        datetime.fromisoformat(slots[-1]["end"])
    ]
    assert moments[-1] - moments[0] == timedelta(hours=23)  # an hour shorter: the clocks moved
    assert all(a["end"] == b["start"] for a, b in pairwise(slots))
    who = [(s["primary"]["email"] if s["primary"] else None, s["override"]) for s in slots]
    assert who == [
        (None, False),  # 12:00 to 20:00: the night desk does not watch the day
        (world.manager.email, False),
        (world.staff_a.email, True),
        (world.manager.email, False),
        (None, False),  # from 08:00
    ]
    assert datetime.fromisoformat(slots[3]["end"]).astimezone(AMS).hour == 8


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-03-01T00:00Z", "end": "2026-04-02T00:00Z"},  # 32 days
        {"start": "2026-03-02T00:00Z", "end": "2026-03-01T00:00Z"},
        {"start": "1999-12-31T00:00Z", "end": "2000-01-02T00:00Z"},
        {"start": "yesterday", "end": "2026-03-01T00:00Z"},
        {"start": "2026-03-01T00:00Z"},
    ],
)
def test_a_period_the_slots_do_not_take_is_a_400(world, params):
    alpha = desks(world)["alpha"]
    response = api(world, "staff_a").get(f"/api/v1/schedules/{alpha.pk}/slots/", params)
    assert response.status_code == 400 and error(response)["fields"]


# --- Overrides -----------------------------------------------------------------------------------


def test_a_manager_adds_and_removes_overrides_but_not_an_approved_swaps(world):
    alpha = desks(world)["alpha"]
    manager = api(world, "manager")
    begin = (timezone.now() + timedelta(days=30)).astimezone(AMS).replace(microsecond=0)
    stretch = {"start": begin.isoformat(), "end": (begin + timedelta(hours=3)).isoformat()}
    created = manager.post(
        f"/api/v1/schedules/{alpha.pk}/overrides/",
        {"user": world.admin.email, "reason": "Training", **stretch},
        format="json",
    )
    assert created.status_code == 201, created.content
    override = created.json()
    assert (override["user"]["email"], override["swap"]) == (world.admin.email, None)
    listed = manager.get(f"/api/v1/schedules/{alpha.pk}/overrides/").json()
    assert [o["id"] for o in listed["results"]] == [override["id"]]
    later = (begin + timedelta(days=1)).isoformat()
    assert (
        manager.get(f"/api/v1/schedules/{alpha.pk}/overrides/", {"since": later}).json()["results"]
        == []
    )
    for body, field in (
        ({"user": world.viewer_a.email}, "user"),
        ({"user": "nobody@example.test"}, "user"),
        ({"end": (begin + timedelta(days=400)).isoformat()}, "end"),  # over 366 days
        ({"end": begin.isoformat()}, "end"),
    ):
        data = {"user": world.admin.email, **stretch, **body}
        response = manager.post(f"/api/v1/schedules/{alpha.pk}/overrides/", data, format="json")
        assert response.status_code == 400 and field in error(response)["fields"], body
    assert manager.delete(f"/api/v1/overrides/{override['id']}/").status_code == 204
    assert manager.delete(f"/api/v1/overrides/{override['id']}/").status_code == 404
    # an approved swap's override stays
    start = timezone.now() + timedelta(days=3)
    solo = schedule_create(name="Solo desk", brands=[world.alpha], acting_user=None)
    schedule_layer_add(
        schedule=solo,
        people=[world.staff_a],
        starts_on=this_monday(),
        hand_off=time(9),
        acting_user=None,
    )
    swap = swap_offer(
        schedule=solo, offered_by=world.staff_a, start=start, end=start + timedelta(hours=2)
    )
    swap = swap_decide(
        swap=swap_take(swap=swap, taken_by=world.staff_b), approve=True, acting_user=world.manager
    )
    assert swap.override is not None
    refused = manager.delete(f"/api/v1/overrides/{swap.override.pk}/")
    assert refused.status_code == 400 and "approved swap" in error(refused)["message"]
    assert ScheduleOverride.objects.filter(pk=swap.override.pk).exists()


# --- Leave ---------------------------------------------------------------------------------------


def test_leave_is_ones_own_and_an_account_manager_may_enter_anyones(world):
    desks(world)
    staff = api(world, "staff_a")
    start = timezone.now() + timedelta(days=10)
    body = {"start": start.isoformat(), "end": (start + timedelta(days=5)).isoformat()}
    mine = staff.post("/api/v1/leave/", {**body, "note": "Holiday"}, format="json")
    assert mine.status_code == 201 and mine.json()["user"]["email"] == world.staff_a.email
    refused = staff.post("/api/v1/leave/", {**body, "user": world.staff_b.email}, format="json")
    assert refused.status_code == 403 and error(refused)["code"] == "permission_denied"
    entered = api(world, "manager").post(
        "/api/v1/leave/", {**body, "user": world.staff_b.email}, format="json"
    )
    assert entered.status_code == 201 and entered.json()["user"]["email"] == world.staff_b.email
    viewer = api(world, "manager").post(
        "/api/v1/leave/", {**body, "user": world.viewer_a.email}, format="json"
    )
    assert viewer.status_code == 400 and list(error(viewer)["fields"]) == ["user"]
    past = leave_add(
        user=world.staff_a,
        start=start - timedelta(days=40),
        end=start - timedelta(days=30),
        acting_user=None,
    )
    listed = staff.get("/api/v1/leave/").json()["results"]
    assert [item["id"] for item in listed] == [mine.json()["id"]]  # mine, current and coming
    others = entered.json()["id"]
    assert staff.delete(f"/api/v1/leave/{others}/").status_code == 404
    assert staff.delete(f"/api/v1/leave/{mine.json()['id']}/").status_code == 204
    assert api(world, "manager").delete(f"/api/v1/leave/{others}/").status_code == 204
    assert list(Leave.objects.all()) == [past]
    too_long = staff.post(
        "/api/v1/leave/",
        {"start": start.isoformat(), "end": (start + timedelta(days=400)).isoformat()},
        format="json",
    )
    assert too_long.status_code == 400 and list(error(too_long)["fields"]) == ["end"]


# --- Swaps ---------------------------------------------------------------------------------------


def _my_primary(world: World, who: str) -> dict[str, Any]:
    shifts = api(world, who).get("/api/v1/me/shifts/").json()["shifts"]
    return next(s for s in shifts if s["role"] == "primary")


def test_a_swap_is_offered_taken_and_approved_and_only_then_changes_the_slots(world):
    alpha = desks(world)["alpha"]
    shift = _my_primary(world, "staff_a")
    assert shift["schedule"]["name"] == "Alpha desk"
    staff_a, staff_b, manager = (api(world, w) for w in ("staff_a", "staff_b", "manager"))
    offered = staff_a.post(
        "/api/v1/swaps/",
        {"schedule": alpha.pk, "start": shift["start"], "end": shift["end"], "note": "Wedding"},
        format="json",
    )
    assert offered.status_code == 201, offered.content
    swap = offered.json()
    assert (swap["status"], swap["offered_by"]["email"]) == ("offered", world.staff_a.email)
    slots_url = f"/api/v1/schedules/{alpha.pk}/slots/"
    window = {"start": shift["start"], "end": shift["end"]}

    def primaries() -> set[tuple[str, bool]]:
        return {
            (s["primary"]["email"], s["override"])
            for s in manager.get(slots_url, window).json()["slots"]
        }

    assert primaries() == {(world.staff_a.email, False)}
    assert staff_a.post(f"/api/v1/swaps/{swap['id']}/take/").status_code == 400  # not oneself
    taken = staff_b.post(f"/api/v1/swaps/{swap['id']}/take/")
    assert taken.status_code == 200 and taken.json()["status"] == "taken"
    assert primaries() == {(world.staff_a.email, False)}  # awaiting approval: unchanged
    again = manager.post(f"/api/v1/swaps/{swap['id']}/take/")
    assert again.status_code == 409 and error(again)["code"] == "swap_conflict"
    refused = staff_b.post(f"/api/v1/swaps/{swap['id']}/approve/")
    assert refused.status_code == 403
    approved = manager.post(f"/api/v1/swaps/{swap['id']}/approve/")
    assert approved.status_code == 200 and approved.json()["decided_by"]["email"] == (
        world.manager.email
    )
    assert primaries() == {(world.staff_b.email, True)}
    late = [
        staff_a.post(f"/api/v1/swaps/{swap['id']}/withdraw/"),
        manager.post(f"/api/v1/swaps/{swap['id']}/reject/"),
    ]
    assert [r.status_code for r in late] == [409, 409]
    statuses = manager.get("/api/v1/swaps/", {"status": "approved"}).json()["results"]
    assert [s["id"] for s in statuses] == [swap["id"]]


def test_offers_refused_and_others_swaps_unseen(world):
    made = desks(world)
    staff_a = api(world, "staff_a")
    shift = _my_primary(world, "staff_a")
    end = datetime.fromisoformat(shift["end"])
    for body, status, field in (
        ({"schedule": made["bravo"].pk}, 400, "schedule"),  # not a schedule of staff_a's
        ({"schedule": 999999}, 400, "schedule"),
        ({"end": (end + timedelta(days=40)).isoformat()}, 400, "end"),
        # the next day's shift is staff_b's
        ({"start": shift["end"], "end": (end + timedelta(hours=1)).isoformat()}, 400, "start"),
    ):
        data = {"schedule": made["alpha"].pk, "start": shift["start"], "end": shift["end"], **body}
        response = staff_a.post("/api/v1/swaps/", data, format="json")
        assert response.status_code == status and field in error(response)["fields"], body
    start = timezone.now() + timedelta(days=1)
    bravo = swap_offer(
        schedule=made["bravo"],
        offered_by=world.staff_b,
        start=start,
        end=start + timedelta(hours=1),
    )
    assert not ShiftSwap.objects.filter(offered_by=world.staff_a).exists()
    assert staff_a.get("/api/v1/swaps/").json()["results"] == []  # not bravo's offer
    for action in ("take", "withdraw", "approve"):
        assert staff_a.post(f"/api/v1/swaps/{bravo.pk}/{action}/").status_code == 404
    bravo.refresh_from_db()
    assert bravo.status == SwapStatus.OFFERED
    assert staff_a.get("/api/v1/swaps/", {"status": "nonsense"}).status_code == 400


# --- My shifts -----------------------------------------------------------------------------------


def test_my_shifts_are_mine_on_every_schedule_with_the_brands_i_cover(world):
    made = desks(world)
    made["night"].layers.get().members.create(user=world.staff_a, position=1)
    body = api(world, "staff_a").get("/api/v1/me/shifts/", {"days": 7}).json()
    start, end = datetime.fromisoformat(body["start"]), datetime.fromisoformat(body["end"])
    assert end - start == timedelta(days=7)
    by_schedule = {s["schedule"]["name"] for s in body["shifts"]}
    assert by_schedule == {"Alpha desk", "Night desk"}
    for s in body["shifts"]:
        assert start <= datetime.fromisoformat(s["start"]) < datetime.fromisoformat(s["end"]) <= end
        assert s["brands"] == (
            [] if s["covers_all"] else [{"slug": "alpha", "name": "Alpha Bakery"}]
        )
    assert b"Bravo" not in api(world, "staff_a").get("/api/v1/me/shifts/").content
    assert api(world, "staff_a").get("/api/v1/me/shifts/", {"days": 32}).status_code == 400
    assert api(world, "viewer_a").get("/api/v1/me/shifts/").status_code == 403


# --- Who covers a brand, on its host -------------------------------------------------------------


def test_a_brands_people_read_who_covers_it_by_name_only(world):
    made = desks(world)
    # Alpha's desk watches only on weekdays in the day: the night desk fills the rest
    layer = made["alpha"].layers.get()
    layer.windows = [{"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]
    layer.save()
    for who in ("viewer_a", "staff_a", "manager"):
        response = api(world, who, world.alpha).get("/api/v1/cover/")
        assert response.status_code == 200, response.content
        body = response.json()
        assert b"@" not in response.content  # names, never an e-mail address
        days = body["next_days"]
        assert all(a["end"] == b["start"] for a, b in pairwise(days))
        total = datetime.fromisoformat(days[-1]["end"]) - datetime.fromisoformat(days[0]["start"])
        assert total == timedelta(days=7)
        names = {d["primary"] for d in days}
        assert world.manager.full_name in names  # the night desk, for every brand
        assert {world.staff_a.full_name, world.staff_b.full_name} & names
        assert None in names  # weekends' days: nobody
        assert {d["schedule"] for d in days} <= {"Alpha desk", "Night desk", None}
        assert body["now"]["until"] == days[0]["end"]
        assert body["now"]["primary"] == days[0]["primary"]
    bravo = api(world, "viewer_b", world.bravo).get("/api/v1/cover/").json()
    assert {d["schedule"] for d in bravo["next_days"]} <= {"Bravo desk", "Night desk"}
    assert world.staff_a.full_name not in {d["primary"] for d in bravo["next_days"]}
    for who in ("staff_b", "viewer_b", "outsider"):
        assert api(world, who, world.alpha).get("/api/v1/cover/").status_code == 403


def test_a_nameless_person_on_duty_is_no_address(world):
    nameless = UserFactory.create(email="nameless@example.test", full_name="")
    membership_grant(user=nameless, role=Role.AGENCY_STAFF, client=world.alpha)
    desk = schedule_create(name="Nameless desk", brands=[world.alpha], acting_user=None)
    schedule_layer_add(
        schedule=desk,
        people=[nameless],
        starts_on=this_monday(),
        hand_off=time(9),
        acting_user=None,
    )
    response = api(world, "viewer_a", world.alpha).get("/api/v1/cover/")
    assert response.json()["now"]["primary"] == "Someone of the agency"
    assert b"nameless" not in response.content


def test_the_cover_costs_the_same_queries_for_any_number_of_schedules(world):
    desks(world)
    viewer = api(world, "viewer_a", world.alpha)
    viewer.get("/api/v1/cover/")  # (the host's brand is looked up once)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert viewer.get("/api/v1/cover/").status_code == 200
        return len(captured)

    few = count()
    for n in range(3):
        extra = schedule_create(name=f"Extra {n}", covers_all=True, acting_user=None)
        schedule_layer_add(
            schedule=extra,
            people=[world.admin, world.staff_b],
            starts_on=this_monday(),
            hand_off=time(n),
            acting_user=None,
        )
    assert count() == few == COVER_QUERIES


# The schema; the token and its user; the access check; the schedules covering the brand (3),
# overrides, leave, people.
COVER_QUERIES = 9


# --- The roster's operations against their schema, on a seeded roster ----------------------------

ROSTER_PATHS = (
    "/api/v1/schedules",
    "/api/v1/layers",
    "/api/v1/overrides",
    "/api/v1/leave",
    "/api/v1/swaps",
    "/api/v1/me/shifts",
)


def _seed(world: World) -> dict[str, list[int]]:
    made = desks(world)
    start = datetime.now(UTC) + timedelta(days=2)
    override = schedule_override_add(
        schedule=made["alpha"],
        user=world.admin,
        start=start,
        end=start + timedelta(hours=2),
        acting_user=None,
    )
    leave = leave_add(
        user=world.staff_a, start=start, end=start + timedelta(days=1), acting_user=None
    )
    bravo_swap = swap_offer(
        schedule=made["bravo"],
        offered_by=world.staff_b,
        start=start + timedelta(days=2),
        end=start + timedelta(days=2, hours=1),
    )
    return {
        "schedules": [s.pk for s in made.values()],
        "layers": [made["alpha"].layers.get().pk],
        "overrides": [override.pk],
        "leave": [leave.pk],
        "swaps": [bravo_swap.pk],
    }


@pytest.mark.parametrize("role", ["admin", "manager", "staff_a", "viewer_a", "outsider"])
def test_the_roster_operations_keep_their_schema_on_a_seeded_roster(
    role, world, served_schemas, in_process, subtests
):
    schema = dict(served_schemas["agency"])
    schema["paths"] = {
        path: item for path, item in schema["paths"].items() if path.startswith(ROSTER_PATHS)
    }
    ids = _seed(world)

    def fixed(operation: Any) -> list[dict[str, Any]]:
        kind = operation.path.split("/")[3]
        return [{"id": pk} for pk in ids.get(kind, [])]

    def also(case: Any, response: Any) -> None:
        if role in ("viewer_a", "outsider"):
            assert response.status_code in (401, 403, 404), response.content[:200]
        if role == "staff_a":  # bravo's schedule and brand stay unseen
            assert b"Bravo" not in response.content

    _run(
        schema,
        host=world.host(None),
        token=_token(getattr(world, role)),
        fixed=fixed,
        also=also,
        subtests=subtests,
    )


def test_the_duty_managers_schedule_covers_no_brand_and_ends_every_escalation(world):
    from agency.roster import duty_managers_on_duty, schedule_layer_add

    api = api_client(world, world.manager, None)
    refused = api.post(
        "/api/v1/schedules/",
        {"name": "Duty", "for_duty_managers": True, "brands": ["alpha"]},
        format="json",
    )
    assert refused.status_code == 400
    made = api.post(
        "/api/v1/schedules/", {"name": "Duty", "for_duty_managers": True}, format="json"
    )
    assert made.status_code == 201, made.content
    assert made.json()["for_duty_managers"] is True
    from datetime import date, time

    from agency.models import Schedule

    schedule_layer_add(
        schedule=Schedule.objects.get(name="Duty"),
        people=[world.manager],
        starts_on=date(2026, 1, 1),
        hand_off=time(0),
        acting_user=world.admin,
    )
    assert duty_managers_on_duty() == [world.manager]
