"""The roster's pages on the agency host (issue 13, point 7): the schedules and who is on duty,
a schedule's week calendar in its zone (the days the clocks move last 23 and 25 hours),
"my shifts" with leave, shift swaps that change nothing until approved; and "Who watches" on a
brand's watch page. For the agency's people only; each sees the controls of their role, and
forged posts are refused; whatever a form gets, the answer is never a 500."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.models import (
    AuditEvent,
    Leave,
    Notification,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
    ShiftSwap,
    SwapStatus,
)
from agency.roster import (
    leave_add,
    schedule_create,
    schedule_layer_add,
    schedule_override_add,
    swap_offer,
    swap_take,
)
from tests.conftest import World

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")


def page(world: World, user: Any, client: Any = None) -> HttpClient:
    browser = HttpClient(HTTP_HOST=world.host(client))
    if user is not None:
        browser.force_login(user)
    return browser


def this_monday() -> date:
    today = timezone.now().astimezone(AMS).date()
    return today - timedelta(days=today.weekday())


def desks(world: World) -> dict[str, Schedule]:
    """Alpha's desk (staff_a then staff_b, daily at 09:00 Amsterdam time), Bravo's desk
    (staff_b alone, daily at 08:00 Stockholm time), and a night desk of the manager for every
    brand from 20:00 to 08:00."""
    start = this_monday() - timedelta(days=14)
    alpha = schedule_create(name="Alpha desk", brands=[world.alpha], acting_user=None)
    schedule_layer_add(
        schedule=alpha,
        people=[world.staff_a, world.staff_b],
        starts_on=start,
        hand_off=time(9),
        acting_user=None,
    )
    bravo = schedule_create(
        name="Bravo desk",
        timezone_name="Europe/Stockholm",
        brands=[world.bravo],
        acting_user=None,
    )
    schedule_layer_add(
        schedule=bravo, people=[world.staff_b], starts_on=start, hand_off=time(8), acting_user=None
    )
    night = schedule_create(name="Night desk", covers_all=True, acting_user=None)
    schedule_layer_add(
        schedule=night,
        people=[world.manager],
        starts_on=start,
        hand_off=time(20),
        shift_hours=12,
        windows=[{"weekdays": list(range(7)), "start": "20:00", "end": "08:00"}],
        acting_user=None,
    )
    return {"alpha": alpha, "bravo": bravo, "night": night}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=AMS).astimezone(UTC)


# --- Who may open the pages --------------------------------------------------------------------

PAGES = ["/schedules/", "/shifts/", "/swaps/"]


@pytest.mark.parametrize("who", ["viewer_a", "outsider"])
def test_client_viewers_and_outsiders_are_refused_every_page_and_post(world, who):
    schedule = desks(world)["alpha"]
    browser = page(world, getattr(world, who))
    for path in [*PAGES, f"/schedules/{schedule.pk}/"]:
        assert browser.get(path).status_code == 403, path
    for path in [
        "/schedules/",
        "/schedules/layers/",
        f"/schedules/{schedule.pk}/overrides/",
        "/shifts/leave/",
        "/shifts/offer/",
    ]:
        assert browser.post(path, {"name": "x"}).status_code == 403, path
    assert Schedule.objects.count() == 3 and not Leave.objects.exists()


def test_the_desk_leads_to_the_roster_and_the_pages_hold_nothing_the_policy_refuses(world):
    from tests.agency.test_security import audit

    made = desks(world)
    assert 'href="/schedules/"' in page(world, world.staff_a).get("/").content.decode()
    assert 'href="/schedules/"' not in page(world, world.outsider).get("/").content.decode()
    for who in ("manager", "staff_a"):
        for path in [*PAGES, f"/schedules/{made['alpha'].pk}/"]:
            audit(page(world, getattr(world, who)).get(path))
    audit(page(world, world.viewer_a, world.alpha).get("/watch/cover/"))


def test_the_pages_are_on_the_portal_only_and_visitors_log_in(world):
    for path in PAGES:
        assert page(world, world.manager, world.alpha).get(path).status_code == 404
        refused = page(world, None).get(path)
        assert refused.status_code == 302 and "/accounts/login/" in refused["Location"]


# --- The schedules -----------------------------------------------------------------------------


def test_each_person_sees_the_schedules_of_their_brands_and_who_is_on_duty(world):
    made = desks(world)
    manager = page(world, world.manager).get("/schedules/")
    html = manager.content.decode()
    assert [row["schedule"].name for row in manager.context["rows"]] == [
        "Alpha desk",
        "Bravo desk",
        "Night desk",
    ]
    assert "Every brand" in html and "Bravo Boats" in html
    assert 'action="/schedules/"' in html and 'action="/schedules/layers/"' in html
    own = page(world, world.staff_a).get("/schedules/")
    assert [row["schedule"].name for row in own.context["rows"]] == ["Alpha desk", "Night desk"]
    html = own.content.decode()
    assert "Bravo desk" not in html and "Bravo Boats" not in html
    assert 'method="post" action="/schedules/' not in html  # no control of a manager's
    assert page(world, world.staff_a).get(f"/schedules/{made['bravo'].pk}/").status_code == 404
    # who is on duty now, by the arithmetic
    rows = {row["schedule"].name: row for row in manager.context["rows"]}
    local = timezone.now().astimezone(AMS)
    day_shift = local.hour >= 9
    days = (local.date() - (this_monday() - timedelta(days=14))).days - (0 if day_shift else 1)
    expected = (world.staff_a, world.staff_b)[days % 2]
    assert rows["Alpha desk"]["primary"] == expected
    night = local.hour >= 20 or local.hour < 8
    assert rows["Night desk"]["primary"] == (world.manager if night else None)


def test_staff_see_only_their_brands_of_a_schedule_covering_more(world):
    both = schedule_create(name="Both desk", brands=[world.alpha, world.bravo], acting_user=None)
    schedule_layer_add(
        schedule=both,
        people=[world.staff_b],
        starts_on=this_monday(),
        hand_off=time(9),
        acting_user=None,
    )
    html = page(world, world.staff_a).get("/schedules/").content.decode()
    assert "Alpha Bakery" in html and "(and 1 brand you do not cover)" in html
    assert "Bravo Boats" not in html
    week = page(world, world.staff_a).get(f"/schedules/{both.pk}/").content.decode()
    assert "Alpha Bakery" in week and "Bravo Boats" not in week


def test_a_manager_creates_a_schedule_then_a_rotation(world):
    browser = page(world, world.manager)
    response = browser.post(
        "/schedules/",
        {"name": "Weekend desk", "timezone": "Europe/Stockholm", "brands": [world.bravo.pk]},
    )
    assert response.status_code == 302
    schedule = Schedule.objects.get(name="Weekend desk")
    assert response["Location"] == f"/schedules/?schedule={schedule.pk}#add-layer"
    assert (schedule.timezone, list(schedule.brands.all())) == ("Europe/Stockholm", [world.bravo])
    form = browser.get(response["Location"]).context["layer_form"]
    assert form.initial["schedule"] == str(schedule.pk)
    response = browser.post(
        "/schedules/layers/",
        {
            "schedule": schedule.pk,
            "role": "primary",
            "person_1": world.staff_b.pk,
            "person_2": world.manager.pk,
            "starts_on": "2026-03-07",
            "hand_off": "10:00",
            "shift_hours": "12",
            "priority": "5",
            "timezone": "Australia/Sydney",
            "window_1_days": ["5", "6"],
            "window_1_start": "10:00",
            "window_1_end": "22:00",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/schedules/{schedule.pk}/"
    layer = ScheduleLayer.objects.get(schedule=schedule)
    assert [m.user for m in layer.members.all()] == [world.staff_b, world.manager]
    assert (layer.shift_hours, layer.priority, layer.timezone) == (12, 5, "Australia/Sydney")
    assert layer.windows == [{"weekdays": [5, 6], "start": "10:00", "end": "22:00"}]
    assert AuditEvent.objects.filter(verb="schedule.layer_added", actor=world.manager).exists()
    html = browser.get(f"/schedules/{schedule.pk}/").content.decode()
    assert "Sat\N{EN DASH}Sun 10:00\N{EN DASH}22:00" in html and "Australia/Sydney" in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Alpha desk"}, "name", "exists already"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not an IANA time zone"),
        ({"name": "  "}, "name", "required"),
    ],
)
def test_the_schedule_forms_refusals_are_field_errors(world, data, field, message):
    desks(world)
    response = page(world, world.manager).post(
        "/schedules/", {"name": "New desk", "timezone": "UTC", **data}
    )
    assert response.status_code == 400
    errors = response.context["create_form"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert Schedule.objects.count() == 3


LAYER = {"role": "primary", "starts_on": "2026-03-02", "hand_off": "09:00", "shift_hours": "24"}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"person_2": "staff_a"}, "person_2", "one place"),
        ({"person_1": ""}, "person_1", "required"),
        ({"person_1": "viewer_a"}, "person_1", "valid choice"),
        ({"shift_hours": "0"}, "shift_hours", "greater than or equal to 1"),
        ({"window_1_start": "08:00", "window_1_end": "20:00"}, "window_1_days", "days"),
        ({"window_1_days": ["0"], "window_1_start": "08:00"}, "window_1_end", "hours"),
        ({"starts_on": "1900-01-01"}, "starts_on", "2000"),
        ({"timezone": "Nowhere/Special"}, "timezone", "IANA"),
    ],
)
def test_the_rotation_forms_refusals_are_field_errors(world, data, field, message):
    schedule = desks(world)["alpha"]
    people = {name: getattr(world, name).pk for name in ("staff_a", "viewer_a")}
    posted = {"schedule": schedule.pk, "person_1": world.staff_a.pk, **LAYER, **data}
    posted = {k: people.get(v, v) if isinstance(v, str) else v for k, v in posted.items()}
    response = page(world, world.manager).post("/schedules/layers/", posted)
    assert response.status_code == 400
    errors = response.context["layer_form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert ScheduleLayer.objects.filter(schedule=schedule).count() == 1


def test_staff_may_not_change_schedules_even_by_a_forged_post(world):
    made = desks(world)
    alpha = made["alpha"]
    override = schedule_override_add(
        schedule=alpha,
        user=world.staff_a,
        start=at("2026-03-02 10:00"),
        end=at("2026-03-02 12:00"),
        acting_user=None,
    )
    layer = alpha.layers.get()
    browser = page(world, world.staff_a)
    forged = [
        ("/schedules/", {"name": "Mine", "timezone": "UTC"}),
        ("/schedules/layers/", {"schedule": alpha.pk, "person_1": world.staff_a.pk, **LAYER}),
        (f"/schedules/{alpha.pk}/edit/", {"edit-name": "Renamed", "edit-timezone": "UTC"}),
        (
            f"/schedules/{alpha.pk}/overrides/",
            {"user": world.staff_a.pk, "start": "2026-03-03T09:00", "end": "2026-03-03T10:00"},
        ),
        (f"/schedules/{alpha.pk}/overrides/{override.pk}/remove/", {}),
        (f"/schedules/{alpha.pk}/layers/{layer.pk}/remove/", {}),
    ]
    for path, data in forged:
        assert browser.post(path, data).status_code == 403, path
    alpha.refresh_from_db()
    assert alpha.name == "Alpha desk" and alpha.layers.count() == 1
    assert list(ScheduleOverride.objects.all()) == [override]
    assert not Schedule.objects.filter(name="Mine").exists()


def test_a_manager_changes_a_schedule_and_removes_a_rotation_its_people_hear_of_it(
    world, django_capture_on_commit_callbacks
):
    alpha = desks(world)["alpha"]
    browser = page(world, world.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            f"/schedules/{alpha.pk}/edit/",
            {
                "edit-name": "Alpha day desk",
                "edit-timezone": "Europe/Amsterdam",
                "edit-brands": [world.alpha.pk, world.bravo.pk],
            },
        )
    assert response.status_code == 302
    alpha.refresh_from_db()
    assert alpha.name == "Alpha day desk" and alpha.brands.count() == 2
    told = set(Notification.objects.filter(topic="schedule").values_list("user__email", flat=True))
    assert told == {world.staff_a.email, world.staff_b.email}
    layer = alpha.layers.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(f"/schedules/{alpha.pk}/layers/{layer.pk}/remove/")
    assert response.status_code == 302 and not ScheduleLayer.objects.filter(pk=layer.pk).exists()
    assert AuditEvent.objects.filter(verb="schedule.layer_removed").exists()
    assert Notification.objects.filter(topic="schedule").count() == 4
    week = browser.get(f"/schedules/{alpha.pk}/")
    assert all(block.person is None for day in week.context["days"] for block in day.primary)


# --- The week calendar -------------------------------------------------------------------------


def _day_hours(response: Any) -> list[float]:
    return [(day.end - day.start).total_seconds() / 3600 for day in response.context["days"]]


def test_the_week_has_a_23_hour_day_in_spring_and_a_25_hour_day_in_autumn(world):
    alpha = desks(world)["alpha"]
    browser = page(world, world.staff_a)
    spring = browser.get(f"/schedules/{alpha.pk}/", {"week": "2026-W13"})  # 29 March
    assert spring.status_code == 200
    assert _day_hours(spring) == [24] * 6 + [23]
    html = spring.content.decode()
    assert "The clocks move: a 23 h day, +01:00 → +02:00" in html
    sunday = spring.context["days"][6]
    assert [(b.start_text, b.end_text, b.length) for b in sunday.primary] == [
        ("00:00 (+01:00)", "09:00 (+02:00)", "8 h"),
        ("09:00 (+02:00)", "24:00 (+02:00)", "15 h"),
    ]
    autumn = browser.get(f"/schedules/{alpha.pk}/", {"week": "2026-W43"})  # 25 October
    assert _day_hours(autumn) == [24] * 6 + [25]
    sunday = autumn.context["days"][6]
    assert [b.length for b in sunday.primary] == ["10 h", "15 h"]
    for response in (spring, autumn):
        for day in response.context["days"]:  # blocks meet end to start, all day long
            for track in (day.primary, day.backup):
                assert track[0].start == day.start and track[-1].end == day.end
                assert all(a.end == b.start for a, b in pairwise(track))
    # the hand-off stays at 09:00 on the wall clock
    assert {b.start.astimezone(AMS).time() for b in sunday.primary[1:]} == {time(9)}


def test_the_week_marks_gaps_and_overrides_and_moves_by_week(world):
    night = desks(world)["night"]
    schedule_override_add(
        schedule=night,
        user=world.staff_a,
        start=at("2026-03-03 22:00"),
        end=at("2026-03-04 02:00"),
        acting_user=None,
    )
    response = page(world, world.manager).get(f"/schedules/{night.pk}/", {"week": "2026-W10"})
    tuesday = response.context["days"][1]
    assert [(b.start_text, b.end_text, b.person, b.override) for b in tuesday.primary] == [
        ("00:00", "08:00", world.manager, False),
        ("08:00", "20:00", None, False),
        ("20:00", "22:00", world.manager, False),
        ("22:00", "24:00", world.staff_a, True),
    ]
    html = response.content.decode()
    assert html.count('class="block gap"') == 7  # each day from 08:00 to 20:00
    assert html.count('class="block override"') == 2  # Tuesday night into Wednesday
    assert response.context["previous"] == "2026-W09" and response.context["next"] == "2026-W11"
    assert 'href="?week=2026-W11"' in html
    new_year = page(world, world.manager).get(f"/schedules/{night.pk}/", {"week": "2027-W53"})
    assert new_year.status_code == 400  # 2027 has 52 ISO weeks (2026 has 53)
    assert "No such week." in new_year.content.decode()
    assert page(world, world.manager).get(f"/schedules/{night.pk}/", {"week": "x"}).status_code == (
        400
    )


def test_a_manager_adds_an_override_on_the_schedules_clock_and_removes_it(world):
    bravo = desks(world)["bravo"]  # Stockholm
    browser = page(world, world.manager)
    response = browser.post(
        f"/schedules/{bravo.pk}/overrides/",
        {"user": world.staff_a.pk, "start": "2026-07-01T09:00", "end": "2026-07-01T17:00"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?week=2026-W27")
    override = ScheduleOverride.objects.get()
    stockholm = ZoneInfo("Europe/Stockholm")
    assert override.start == datetime(2026, 7, 1, 9, tzinfo=stockholm)
    assert override.end - override.start == timedelta(hours=8)
    refused = browser.post(
        f"/schedules/{bravo.pk}/overrides/",
        {"user": world.viewer_a.pk, "start": "2026-07-02T09:00", "end": "2026-07-02T08:00"},
    )
    assert refused.status_code == 400
    assert set(refused.context["override_form"].errors) == {"user", "end"}
    response = browser.post(f"/schedules/{bravo.pk}/overrides/{override.pk}/remove/")
    assert response.status_code == 302 and not ScheduleOverride.objects.exists()
    assert AuditEvent.objects.filter(verb="schedule.override_removed").exists()


# --- Swaps -------------------------------------------------------------------------------------


def _first_primary(response: Any) -> dict[str, Any]:
    return next(row for row in response.context["rows"] if row["shift"].role == "primary")


def test_a_swap_awaiting_approval_changes_nothing_in_the_calendar_until_approved(world):
    alpha = desks(world)["alpha"]
    staff_a, staff_b, manager = (
        page(world, u) for u in (world.staff_a, world.staff_b, world.manager)
    )
    shift = _first_primary(staff_a.get("/shifts/"))
    offer = shift["offer"].initial
    response = staff_a.post("/shifts/offer/", {**offer, "note": "Dentist"})
    assert response.status_code == 302 and response["Location"] == "/swaps/"
    swap = ShiftSwap.objects.get()
    assert (swap.status, swap.offered_by, swap.note) == (
        SwapStatus.OFFERED,
        world.staff_a,
        "Dentist",
    )
    assert "Offered to your colleagues." in staff_a.get("/shifts/").content.decode()
    # the colleague sees the offer and takes it; the offerer sees no offer of their own to take
    assert [s.pk for s in staff_b.get("/swaps/").context["offers"]] == [swap.pk]
    assert staff_a.get("/swaps/").context["offers"] == []
    assert staff_b.post(f"/swaps/{swap.pk}/take/").status_code == 302
    swap.refresh_from_db()
    assert swap.status == SwapStatus.TAKEN and swap.taken_by == world.staff_b

    def who_in_the_stretch() -> set[Any]:
        week = swap.start.astimezone(AMS).date().isocalendar()
        response = manager.get(f"/schedules/{alpha.pk}/", {"week": f"{week[0]}-W{week[1]:02d}"})
        return {
            (block.person, block.override)
            for day in response.context["days"]
            for block in day.primary
            if block.start < swap.end and block.end > swap.start
        }

    assert who_in_the_stretch() == {(world.staff_a, False)}  # taken, not approved: unchanged
    awaiting = manager.get("/swaps/")
    assert [s.pk for s in awaiting.context["awaiting"]] == [swap.pk]
    assert f'action="/swaps/{swap.pk}/decide/"' in awaiting.content.decode()
    # staff may neither see nor forge the decision
    assert f'action="/swaps/{swap.pk}/decide/"' not in staff_b.get("/swaps/").content.decode()
    assert staff_b.post(f"/swaps/{swap.pk}/decide/", {"decision": "approve"}).status_code == 403
    assert who_in_the_stretch() == {(world.staff_a, False)}
    response = manager.post(f"/swaps/{swap.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 302
    swap.refresh_from_db()
    assert swap.status == SwapStatus.APPROVED and swap.decided_by == world.manager
    assert who_in_the_stretch() == {(world.staff_b, True)}
    # decided twice: a message, no change
    again = manager.post(f"/swaps/{swap.pk}/decide/", {"decision": "reject"}, follow=True)
    assert "This swap is approved." in again.content.decode()
    swap.refresh_from_db()
    assert swap.status == SwapStatus.APPROVED


def test_swaps_others_may_not_see_take_or_withdraw(world):
    made = desks(world)
    offered = _first_primary(page(world, world.staff_a).get("/shifts/"))["shift"]
    swap = swap_offer(
        schedule=made["alpha"], offered_by=world.staff_a, start=offered.start, end=offered.end
    )
    # a schedule of bravo's alone, staff_b on it: staff_a sees neither it nor its offers
    bravo_nights = schedule_create(name="Bravo nights", brands=[world.bravo], acting_user=None)
    schedule_layer_add(
        schedule=bravo_nights,
        people=[world.staff_b],
        starts_on=this_monday(),
        hand_off=time(9),
        acting_user=None,
    )
    start = timezone.now() + timedelta(days=2)
    hidden = swap_offer(
        schedule=bravo_nights, offered_by=world.staff_b, start=start, end=start + timedelta(hours=2)
    )
    staff_a = page(world, world.staff_a)
    listed = staff_a.get("/swaps/")
    assert listed.context["offers"] == [] and [s.pk for s in listed.context["mine"]] == [swap.pk]
    assert "Bravo nights" not in listed.content.decode()
    for action in ("take", "withdraw"):
        assert staff_a.post(f"/swaps/{hidden.pk}/{action}/").status_code == 404
    hidden.refresh_from_db()
    assert hidden.status == SwapStatus.OFFERED
    # the colleague on alpha's desk sees the offer, may take it, may not withdraw it
    staff_b = page(world, world.staff_b)
    assert [s.pk for s in staff_b.get("/swaps/").context["offers"]] == [swap.pk]
    assert staff_b.post(f"/swaps/{swap.pk}/withdraw/").status_code == 403
    assert staff_a.post(f"/swaps/{swap.pk}/withdraw/").status_code == 302
    swap.refresh_from_db()
    assert swap.status == SwapStatus.WITHDRAWN
    assert staff_b.get("/swaps/").context["offers"] == []


# --- My shifts and leave -----------------------------------------------------------------------


def test_my_shifts_lists_the_next_14_days_with_their_brands(world):
    desks(world)
    response = page(world, world.staff_a).get("/shifts/")
    assert response.status_code == 200
    rows = response.context["rows"]
    now = timezone.now()
    assert rows and all(row["shift"].end > now for row in rows)
    assert all(row["shift"].start < now + timedelta(days=14) for row in rows)
    assert {row["shift"].schedule.name for row in rows} == {"Alpha desk"}  # never Bravo's
    primaries = [row for row in rows if row["shift"].role == "primary"]
    backups = [row for row in rows if row["shift"].role == "backup"]
    assert 6 <= len(primaries) <= 8 and 6 <= len(backups) <= 8
    assert all(r["brands"] == [world.alpha] for r in rows)
    html = response.content.decode()
    assert "Alpha Bakery" in html and "Bravo" not in html
    assert html.count("Offer this shift to a colleague") == len(primaries)
    assert "(+01:00)" in html or "(+02:00)" in html
    assert world.staff_b.email not in html  # nobody else's shifts
    manager = page(world, world.manager).get("/shifts/")
    assert {row["shift"].schedule.name for row in manager.context["rows"]} == {"Night desk"}
    assert "every brand" in manager.content.decode()


def test_a_person_adds_and_removes_their_own_leave_and_their_colleagues_hear_of_it(
    world, django_capture_on_commit_callbacks
):
    desks(world)
    browser = page(world, world.staff_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/shifts/leave/",
            {
                "start": "2026-08-03T00:00",
                "end": "2026-08-10T00:00",
                "timezone": "Europe/Amsterdam",
                "note": "Summer",
                "user": world.staff_b.pk,  # forged: the page enters one's own leave only
            },
        )
    assert response.status_code == 302
    leave = Leave.objects.get()
    assert (leave.user, leave.note) == (world.staff_a, "Summer")
    assert leave.start == datetime(2026, 8, 3, tzinfo=AMS)
    assert Notification.objects.filter(topic="schedule", user=world.staff_b).exists()
    for data, field in (
        ({"start": "2026-08-10T00:00", "end": "2026-08-03T00:00"}, "end"),
        ({"start": "2026-08-03T00:00", "end": "2028-08-10T00:00"}, "end"),
        ({"start": "2026-08-03T00:00", "end": "2026-08-10T00:00", "timezone": "Moon"}, "timezone"),
        ({"start": "tomorrow", "end": "2026-08-10T00:00"}, "start"),
    ):
        refused = browser.post("/shifts/leave/", {"timezone": "UTC", **data})
        assert refused.status_code == 400
        assert field in refused.context["leave_form"].errors, (
            data,
            refused.context["leave_form"].errors,
        )
    other = leave_add(
        user=world.staff_b,
        start=at("2026-09-01 00:00"),
        end=at("2026-09-02 00:00"),
        acting_user=None,
    )
    assert browser.post(f"/shifts/leave/{other.pk}/remove/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert browser.post(f"/shifts/leave/{leave.pk}/remove/").status_code == 302
    assert list(Leave.objects.all()) == [other]
    assert AuditEvent.objects.filter(verb="leave.removed", actor=world.staff_a).exists()


# --- Who watches a brand -------------------------------------------------------------------------


def test_a_client_viewer_reads_who_watches_their_brand_by_name_only(world):
    desks(world)
    watch = page(world, world.viewer_a, world.alpha).get("/watch/")
    assert 'hx-get="/watch/cover/"' in watch.content.decode()
    response = page(world, world.viewer_a, world.alpha).get("/watch/cover/")
    assert response.status_code == 200
    html = response.content.decode()
    names = {world.staff_a.full_name, world.staff_b.full_name}
    assert all(name in html for name in names)
    assert world.manager.full_name not in html  # alpha's own desk covers it, all day
    assert "@" not in html  # no e-mail address
    assert "Bravo desk" not in html  # staff_b's other schedule is not alpha's
    handoffs = response.context["handoffs"]
    assert handoffs[0]["start"] <= timezone.now() <= handoffs[0]["end"]
    assert handoffs[-1]["end"] - handoffs[0]["start"] >= timedelta(days=7) - timedelta(seconds=5)
    assert all(a["end"] == b["start"] for a, b in pairwise(handoffs))
    bravo = page(world, world.viewer_b, world.bravo).get("/watch/cover/").content.decode()
    assert world.staff_a.full_name not in bravo and world.staff_b.full_name in bravo
    assert page(world, world.viewer_b, world.alpha).get("/watch/cover/").status_code == 403


def test_a_brand_nobody_covers_says_so(world):
    response = page(world, world.viewer_a, world.alpha).get("/watch/cover/")
    assert "Nobody is on duty for this brand now." in response.content.decode()
    assert [h["primary"] for h in response.context["handoffs"]] == [None]


# --- Queries ---------------------------------------------------------------------------------


def _queries(browser: HttpClient, path: str) -> int:
    browser.get(path)
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(path).status_code == 200
    return len(captured)


def _more(world: World, n: int) -> None:
    """More schedules, rotations, people, overrides, leave and swaps."""
    for k in range(n):
        extra = schedule_create(
            name=f"Extra {n}-{k}", brands=[world.alpha, world.bravo], acting_user=None
        )
        schedule_layer_add(
            schedule=extra,
            people=[world.staff_a, world.staff_b, world.admin],
            starts_on=this_monday(),
            hand_off=time(7 + k),
            acting_user=None,
        )
        start = timezone.now() + timedelta(days=k + 1)
        schedule_override_add(
            schedule=extra,
            user=world.manager,
            start=start,
            end=start + timedelta(hours=3),
            acting_user=None,
        )
        leave_add(user=world.admin, start=start, end=start + timedelta(hours=5), acting_user=None)
        shifts = [
            s
            for s in page(world, world.staff_a).get("/shifts/").context["rows"]
            if s["shift"].role == "primary" and s["swap"] is None
        ]
        swap = swap_offer(
            schedule=shifts[0]["shift"].schedule,
            offered_by=world.staff_a,
            start=shifts[0]["shift"].start,
            end=shifts[0]["shift"].end,
        )
        if k % 2:
            swap_take(swap=swap, taken_by=world.manager)


@pytest.mark.parametrize(
    ("who", "path", "expected"),
    [
        ("manager", "/schedules/", "SCHEDULES_QUERIES"),
        ("staff_a", "/schedules/", "SCHEDULES_QUERIES_STAFF"),
        ("staff_a", "/shifts/", "SHIFTS_QUERIES"),
        ("manager", "/swaps/", "SWAPS_QUERIES"),
        ("staff_a", "/swaps/", "SWAPS_QUERIES_STAFF"),
        ("manager", "alpha", "WEEK_QUERIES"),
        ("viewer_a", "cover", "COVER_QUERIES"),
    ],
)
def test_the_pages_cost_the_same_queries_whatever_the_roster_holds(world, who, path, expected):
    made = desks(world)
    host = world.alpha if path == "cover" else None
    path = {"alpha": f"/schedules/{made['alpha'].pk}/", "cover": "/watch/cover/"}.get(path, path)
    browser = page(world, getattr(world, who), host)
    few = _queries(browser, path)
    _more(world, 3)
    assert _queries(browser, path) == few == globals()[expected], (who, path)


# Each page: the schema, the session, the user, their role. Schedules: the schedules (with
# brands, rotations, people: 4), the brands the person covers (staff: 2), who is on duty now
# (overrides, leave, people); for managers the people and brands of the forms.
SCHEDULES_QUERIES = 14
SCHEDULES_QUERIES_STAFF = 14
# The shifts (schedules, rotations, people, brands, overrides, leave), the person's brands (2),
# their open swaps, their leave.
SHIFTS_QUERIES = 14
# The offers, awaiting approval (none for staff, but for their own), the person's own swaps.
SWAPS_QUERIES = 7
SWAPS_QUERIES_STAFF = 7
# The schedule (4), the week's slots (overrides, leave, people), its overrides, the brands;
# for managers the people and brands of the forms.
WEEK_QUERIES = 15
# The brand host's access check; the schedules covering the brand (3), overrides, leave,
# people.
COVER_QUERIES = 10


# --- No input makes a form fail ------------------------------------------------------------------

text = st.text(max_size=40) | st.sampled_from(
    ["", "1", "-1", "2026-03-02T09:00", "24:00", "x" * 301]
)


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    form=st.sampled_from(
        [
            ("manager", "/schedules/", ["name", "timezone", "covers_all", "brands"]),
            (
                "manager",
                "/schedules/layers/",
                [
                    "schedule",
                    "role",
                    "person_1",
                    "person_2",
                    "starts_on",
                    "hand_off",
                    "shift_hours",
                    "priority",
                    "timezone",
                    "window_1_days",
                    "window_1_start",
                    "window_1_end",
                ],
            ),
            ("manager", "edit", ["edit-name", "edit-timezone", "edit-brands"]),
            ("manager", "override", ["user", "start", "end", "reason"]),
            ("staff_a", "/shifts/leave/", ["start", "end", "timezone", "note"]),
            ("staff_a", "/shifts/offer/", ["schedule", "start", "end", "note"]),
            ("manager", "decide", ["decision"]),
            ("staff_a", "take", []),
        ]
    ),
    values=st.lists(text, min_size=12, max_size=12),
)
def test_whatever_a_form_gets_the_answer_is_never_a_500(world, form, values):
    schedule = Schedule.objects.filter(name="Fixed desk").first()
    if schedule is None:
        schedule = schedule_create(name="Fixed desk", brands=[world.alpha], acting_user=None)
        schedule_layer_add(
            schedule=schedule,
            people=[world.staff_b],
            starts_on=this_monday(),
            hand_off=time(9),
            acting_user=None,
        )
        start = timezone.now() + timedelta(days=1)
        swap_offer(
            schedule=schedule, offered_by=world.staff_b, start=start, end=start + timedelta(hours=1)
        )
    swap = ShiftSwap.objects.get(schedule=schedule)
    who, path, fields = form
    path = {
        "edit": f"/schedules/{schedule.pk}/edit/",
        "override": f"/schedules/{schedule.pk}/overrides/",
        "decide": f"/swaps/{swap.pk}/decide/",
        "take": f"/swaps/{swap.pk}/take/",
    }.get(path, path)
    data = dict(zip(fields, values, strict=False))
    response = page(world, getattr(world, who)).post(path, data)
    assert response.status_code in (200, 302, 400, 403), (path, data, response.status_code)
