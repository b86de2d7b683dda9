"""The brand's response settings: the service (office hours that end after they start, holidays
kept once each and in order, at most 100, a bad date refused in words; only managers change
the approval of crisis replies; one audit event per change), the page on the brand host (the
agency's people change, a manager also the approval, a client viewer reads), the API
(GET/PATCH /api/v1/response-settings/ with its role matrix, strict bodies, 4xx never 5xx), and
brands kept apart."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agency.exceptions import PermissionDeniedError
from agency.models import AuditEvent
from clients import tenancy
from monitoring.exceptions import SettingsError
from playbooks.models import ResponseSettings
from playbooks.selectors import playbook_choose, situation_timing
from playbooks.sending import approval_policy
from playbooks.services import MAX_HOLIDAYS, response_settings_update
from tests.conftest import api_client

pytestmark = pytest.mark.django_db

XMAS = "2031-12-25"
BOXING_DAY = "2031-12-26"
NEW_YEAR = "2032-01-01"


def page(world: Any, user: Any, client: Any) -> HttpClient:
    browser = HttpClient(HTTP_HOST=world.host(client))
    browser.force_login(user)
    return browser


def stored(client: Any) -> ResponseSettings:
    with tenancy.tenant_context(client):
        found = ResponseSettings.objects.get()
    tenancy.reset_to_public()
    return found


def policy(client: Any) -> bool:
    with tenancy.tenant_context(client):
        required = approval_policy(client=client)
    tenancy.reset_to_public()
    return required


def update(world: Any, user: Any, **fields: Any) -> ResponseSettings:
    with tenancy.tenant_context(world.alpha):
        return response_settings_update(client=world.alpha, acting_user=user, **fields)


def audits(slug: str = "alpha") -> list[dict[str, Any]]:
    return list(
        AuditEvent.objects.filter(verb="response_settings.updated", client_slug=slug)
        .order_by("id")
        .values_list("detail", flat=True)
    )


# --- The service -------------------------------------------------------------------------------


def test_the_service_keeps_holidays_once_and_in_order_and_writes_what_changed(world):
    saved = update(
        world,
        world.staff_a,
        office_starts=time(8, 30, 15),
        office_ends=time(18, 0),
        holidays=[NEW_YEAR, XMAS, date(2031, 12, 25), " 2031-12-26 "],
        auto_incident_for_crisis=False,
    )
    assert (saved.office_starts, saved.office_ends) == (time(8, 30), time(18, 0))
    assert saved.holidays == [XMAS, BOXING_DAY, NEW_YEAR]
    assert stored(world.alpha).auto_incident_for_crisis is False
    assert audits() == [
        {
            "changes": {
                "office_starts": "08:30",
                "office_ends": "18:00",
                "holidays": {"added": [XMAS, BOXING_DAY, NEW_YEAR], "removed": []},
                "auto_incident_for_crisis": False,
            }
        }
    ]
    # The same again changes nothing and writes nothing.
    update(world, world.staff_a, holidays=[BOXING_DAY, NEW_YEAR, XMAS], office_ends=time(18))
    assert len(audits()) == 1
    update(world, world.staff_a, holidays=[XMAS])
    assert audits()[-1]["changes"] == {"holidays": {"added": [], "removed": [BOXING_DAY, NEW_YEAR]}}
    # Bravo's settings are its own.
    assert stored(world.bravo).holidays == [] and stored(world.bravo).office_starts == time(9)
    assert audits("bravo") == []


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        (
            {"office_starts": time(18), "office_ends": time(9)},
            "office_ends",
            "end after they start",
        ),
        ({"office_ends": time(9)}, "office_ends", "09:00 to 09:00 does not"),
        ({"office_starts": time(17, 30)}, "office_starts", "17:30 to 17:00 does not"),
        ({"office_starts": "09:00"}, "office_starts", "Give a time of day"),
        ({"holidays": ["2031-02-30"]}, "holidays", "2031-02-30 is not a day of the calendar"),
        ({"holidays": ["25-12-2031"]}, "holidays", "“25-12-2031” is not a date"),
        ({"holidays": ["20311225"]}, "holidays", "year-month-day"),
        ({"holidays": ["2031-W52-4"]}, "holidays", "year-month-day"),
        ({"holidays": [20311225]}, "holidays", "“int” is not a date"),
        ({"holidays": XMAS}, "holidays", "a list of dates"),
        ({"auto_incident_for_crisis": "no"}, "auto_incident_for_crisis", "Yes or no"),
        ({"approval_required": 1}, "approval_required", "Yes or no"),
        ({"timezone": "UTC"}, "timezone", "not a response setting"),
    ],
)
def test_the_service_refuses_in_words(world, fields, field, words):
    before = stored(world.alpha)
    with pytest.raises(SettingsError) as refused:
        update(world, world.manager, **fields)
    assert refused.value.field == field and words in refused.value.message
    after = stored(world.alpha)
    assert (after.office_starts, after.office_ends, after.holidays) == (
        before.office_starts,
        before.office_ends,
        before.holidays,
    )
    assert audits() == []


def test_at_most_a_hundred_holidays(world):
    first = date(2031, 1, 1)
    days = [first + timedelta(days=n) for n in range(MAX_HOLIDAYS)]
    assert len(update(world, world.staff_a, holidays=[*days, *days]).holidays) == MAX_HOLIDAYS
    with pytest.raises(SettingsError, match="At most 100 holidays"):
        update(world, world.staff_a, holidays=[*days, first - timedelta(days=1)])


def test_only_managers_change_the_approval_and_only_the_agency_the_rest(world):
    with pytest.raises(PermissionDeniedError, match="account manager or an admin"):
        update(world, world.staff_a, approval_required=True)
    update(world, world.staff_a, approval_required=False)  # as it is: no change, allowed
    for outsider in (world.viewer_a, world.staff_b, world.outsider):
        with pytest.raises(PermissionDeniedError):
            update(world, outsider, holidays=[XMAS])
    assert not policy(world.alpha) and stored(world.alpha).holidays == []
    update(world, world.manager, approval_required=True)
    assert policy(world.alpha) and not policy(world.bravo)
    assert audits()[-1]["changes"] == {"approval_required": True}
    # The policy event sending reads, by the manager.
    newest = AuditEvent.objects.filter(verb="response.approval_policy").latest("id")
    assert (newest.client_slug, newest.actor, newest.detail) == (
        "alpha",
        world.manager,
        {"required": True},
    )
    update(world, world.admin, approval_required=False)
    assert not policy(world.alpha)


def test_holidays_and_hours_decide_the_playbook(world):
    """What the page sets is what chooses the playbook: a Tuesday noon (UTC) is office hours
    in Amsterdam, a holiday once it is on the list, night once office hours end before it."""
    tuesday_noon = datetime(2031, 12, 23, 12, 0, tzinfo=UTC)
    with tenancy.tenant_context(world.alpha):
        assert situation_timing(client=world.alpha, at=tuesday_noon) == "office"
    update(world, world.staff_a, holidays=["2031-12-23"])
    with tenancy.tenant_context(world.alpha):
        assert situation_timing(client=world.alpha, at=tuesday_noon) == "holiday"
    update(world, world.staff_a, holidays=[], office_starts=time(7), office_ends=time(12, 30))
    with tenancy.tenant_context(world.alpha):
        assert situation_timing(client=world.alpha, at=tuesday_noon) == "night"  # 13:00 there
        playbook, why = playbook_choose(
            client=world.alpha, level="crisis", platform="x", at=tuesday_noon
        )
        assert playbook is not None and ("timing", "night") in why.matched
    with tenancy.tenant_context(world.bravo):
        assert situation_timing(client=world.bravo, at=tuesday_noon) == "office"


# --- The page ----------------------------------------------------------------------------------


def test_staff_change_hours_holidays_and_incidents_and_see_the_approval_read_only(world):
    browser = page(world, world.staff_a, world.alpha)
    html = browser.get("/response-settings/").content.decode()
    assert "Times are on the brand's clock: Europe/Amsterdam, now UTC+0" in html
    there = datetime.now(world.alpha.zone)
    assert f"It is {there:%A %H}:" in html  # on the brand's clock, not UTC's
    assert 'name="office_starts"' in html and 'value="09:00"' in html
    assert 'name="auto_incident_for_crisis"' in html
    assert 'name="approval_required"' not in html
    assert "Only an account manager or an admin changes this." in html
    answer = browser.post(
        "/response-settings/",
        {"office_starts": "08:00", "office_ends": "16:30", "auto_incident_for_crisis": "no"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/response-settings/"
    saved = stored(world.alpha)
    assert (saved.office_starts, saved.office_ends, saved.auto_incident_for_crisis) == (
        time(8),
        time(16, 30),
        False,
    )
    html = browser.get("/response-settings/").content.decode()
    assert "Response settings saved." in html and 'value="16:30"' in html
    # A POST of the approval from staff is refused, and nothing changes.
    refused = browser.post(
        "/response-settings/",
        {
            "office_starts": "07:00",
            "office_ends": "16:30",
            "auto_incident_for_crisis": "no",
            "approval_required": "yes",
        },
    )
    assert refused.status_code == 403
    assert not policy(world.alpha) and stored(world.alpha).office_starts == time(8)
    # Bravo's page shows bravo's settings.
    bravo = page(world, world.staff_b, world.bravo).get("/response-settings/").content.decode()
    assert 'value="09:00"' in bravo and "Europe/Stockholm" in bravo and "16:30" not in bravo


def test_a_manager_changes_the_approval_on_the_page(world):
    browser = page(world, world.manager, world.alpha)
    html = browser.get("/response-settings/").content.decode()
    assert 'name="approval_required"' in html
    answer = browser.post(
        "/response-settings/",
        {
            "office_starts": "09:00",
            "office_ends": "17:00",
            "auto_incident_for_crisis": "yes",
            "approval_required": "yes",
        },
    )
    assert answer.status_code == 302
    assert policy(world.alpha) and not policy(world.bravo)
    html = browser.get("/response-settings/").content.decode()
    assert re.search(
        r'<input type="radio" name="approval_required" value="yes"[^>]* checked>', html
    )
    viewer = page(world, world.viewer_a, world.alpha).get("/response-settings/").content.decode()
    assert "<dt>Crisis replies need approval</dt>" in viewer
    assert "<strong>Yes</strong>" in viewer


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (
            {"office_starts": "17:00", "office_ends": "09:00", "auto_incident_for_crisis": "yes"},
            "office_ends",
            "Office hours end after they start, on the same day.",
        ),
        (
            {
                "office_starts": "9 o'clock",
                "office_ends": "17:00",
                "auto_incident_for_crisis": "yes",
            },
            "office_starts",
            "Give a time as hours:minutes, e.g. 09:00.",
        ),
        ({"office_starts": "09:00", "office_ends": "17:00"}, "auto", "Choose yes or no."),
    ],
)
def test_the_page_says_what_is_wrong(world, data, field, words):
    answer = page(world, world.staff_a, world.alpha).post("/response-settings/", data)
    assert answer.status_code == 400
    assert words in answer.content.decode()
    assert audits() == []


def test_holidays_are_added_and_removed_on_the_page(world):
    browser = page(world, world.staff_a, world.alpha)
    for day in (NEW_YEAR, XMAS):
        answer = browser.post("/response-settings/holidays/", {"day": day})
        assert answer.status_code == 302
    assert stored(world.alpha).holidays == [XMAS, NEW_YEAR]
    html = browser.get("/response-settings/").content.decode()
    assert "Holiday added: Thursday 1 January 2032." in html
    listed = html.split('<ul class="holidays">')[1]
    assert listed.index("Thursday 25 December 2031") < listed.index("Thursday 1 January 2032")
    assert "2 holidays to come." in html
    again = browser.post("/response-settings/holidays/", {"day": XMAS})
    assert (
        again.status_code == 400
        and "Thursday 25 December 2031 is on the list already." in again.content.decode()
    )
    bad = browser.post("/response-settings/holidays/", {"day": "31-12-2031"})
    assert bad.status_code == 400
    assert "Give the date as year-month-day, e.g. 2026-12-25." in bad.content.decode()
    impossible = browser.post("/response-settings/holidays/", {"day": "2031-02-30"})
    assert impossible.status_code == 400
    answer = browser.post("/response-settings/holidays/remove/", {"day": XMAS})
    assert answer.status_code == 302
    assert stored(world.alpha).holidays == [NEW_YEAR] and stored(world.bravo).holidays == []
    assert (
        "Holiday removed: Thursday 25 December 2031."
        in browser.get("/response-settings/").content.decode()
    )
    # A past holiday shows as past.
    update(world, world.staff_a, holidays=["2020-04-27", NEW_YEAR])
    html = browser.get("/response-settings/").content.decode()
    assert '<li class="holiday past">' in html and "1 holiday to come." in html


def test_a_client_viewer_reads_the_page_and_is_refused_every_write(world):
    update(world, world.staff_a, holidays=[XMAS])
    browser = page(world, world.viewer_a, world.alpha)
    html = browser.get("/response-settings/").content.decode()
    assert "Thursday 25 December 2031" in html and "<dt>Office hours</dt>" in html
    assert '<form method="post" action="/response-settings' not in html
    assert 'name="day"' not in html and "Remove" not in html
    for path, data in (
        ("/response-settings/", {"office_starts": "06:00", "office_ends": "17:00"}),
        ("/response-settings/holidays/", {"day": NEW_YEAR}),
        ("/response-settings/holidays/remove/", {"day": XMAS}),
    ):
        assert browser.post(path, data).status_code == 403
    assert stored(world.alpha).holidays == [XMAS] and stored(world.alpha).office_starts == time(9)


def test_another_brands_people_are_refused_the_page(world):
    for user in (world.staff_b, world.viewer_b, world.outsider):
        browser = page(world, user, world.alpha)
        assert browser.get("/response-settings/").status_code == 403
        assert browser.post("/response-settings/holidays/", {"day": XMAS}).status_code == 403
    assert stored(world.alpha).holidays == []


def test_the_page_is_linked_from_the_settings_and_the_playbooks(world):
    browser = page(world, world.viewer_a, world.alpha)
    for path in ("/settings/", "/playbooks/"):
        assert 'href="/response-settings/"' in browser.get(path).content.decode(), path
    html = browser.get("/response-settings/").content.decode()
    assert '<a href="/settings/" aria-current="page">Settings</a>' in html


def test_the_page_in_dutch_and_swedish(world):
    for language, words in (
        ("nl", ("Antwoordinstellingen", "Kantooruren", "Feestdag toevoegen")),
        ("sv", ("Svarsinställningar", "Kontorstid", "Lägg till en helgdag")),
    ):
        browser = page(world, world.staff_a, world.alpha)
        world.staff_a.language = language
        world.staff_a.save(update_fields=["language"])
        html = browser.get("/response-settings/").content.decode()
        for word in words:
            assert word in html, (language, word)
    world.staff_a.language = "en"
    world.staff_a.save(update_fields=["language"])


# --- The API -----------------------------------------------------------------------------------

URL = "/api/v1/response-settings/"


@pytest.mark.parametrize(
    ("role", "may_change", "may_change_approval"),
    [
        ("admin", True, True),
        ("manager", True, True),
        ("staff_a", True, False),
        ("viewer_a", False, False),
    ],
)
def test_everyone_on_the_brand_reads_the_settings(world, role, may_change, may_change_approval):
    update(world, world.staff_a, holidays=[XMAS])
    body = api_client(world, getattr(world, role), world.alpha).get(URL).json()
    assert body == {
        "office_starts": "09:00",
        "office_ends": "17:00",
        "holidays": [XMAS],
        "auto_incident_for_crisis": True,
        "approval_required": False,
        "timezone": "Europe/Amsterdam",
        "utc_offset": body["utc_offset"],
        "updated_at": body["updated_at"],
        "may_change": may_change,
        "may_change_approval": may_change_approval,
    }
    assert body["utc_offset"] in ("+01:00", "+02:00")


def test_another_brands_people_read_nothing(world):
    for user in (world.staff_b, world.viewer_b, world.outsider):
        http = api_client(world, user, world.alpha)
        assert http.get(URL).status_code == 403
        assert http.patch(URL, {"holidays": [XMAS]}, format="json").status_code == 403
    assert api_client(world, None, world.alpha).get(URL).status_code in (401, 403)
    assert stored(world.alpha).holidays == []


def test_staff_and_managers_change_them_and_viewers_may_not(world):
    staff = api_client(world, world.staff_a, world.alpha)
    body = staff.patch(
        URL,
        {
            "office_starts": "08:00",
            "holidays": [NEW_YEAR, XMAS, XMAS],
            "auto_incident_for_crisis": False,
        },
        format="json",
    ).json()
    assert (body["office_starts"], body["office_ends"], body["holidays"]) == (
        "08:00",
        "17:00",
        [XMAS, NEW_YEAR],
    )
    assert body["auto_incident_for_crisis"] is False
    refused = staff.patch(URL, {"approval_required": True}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert staff.patch(URL, {"approval_required": False}, format="json").status_code == 200
    viewer = api_client(world, world.viewer_a, world.alpha).patch(
        URL, {"holidays": []}, format="json"
    )
    assert viewer.status_code == 403
    assert viewer.json()["error"]["message"] == "Your access to this brand is read-only."
    manager = api_client(world, world.manager, world.alpha)
    body = manager.patch(URL, {"approval_required": True}, format="json").json()
    assert body["approval_required"] is True and policy(world.alpha) and not policy(world.bravo)
    assert api_client(world, world.staff_b, world.bravo).get(URL).json()["holidays"] == []
    assert [set(a["changes"]) for a in audits()] == [
        {"office_starts", "holidays", "auto_incident_for_crisis"},
        {"approval_required"},
    ]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"office_ends": "08:00"}, "office_ends", "Office hours end after they start"),
        ({"office_starts": "9:00am"}, "office_starts", "Time has wrong format"),
        ({"office_starts": "09:00:00"}, "office_starts", "Time has wrong format"),
        ({"holidays": ["2031-13-01"]}, "holidays", "2031-13-01 is not a day of the calendar"),
        ({"holidays": ["next friday"]}, "holidays", "“next friday” is not a date"),
        ({"holidays": XMAS}, "holidays", "Expected a list of items"),
        ({"holidays": [None]}, "holidays", "This field may not be null."),
        ({"holidays": ["\u0000"]}, "holidays", "Null characters are not allowed."),
        ({"auto_incident_for_crisis": "maybe"}, "auto_incident_for_crisis", "Must be a valid"),
        ({"timezone": "UTC"}, "timezone", "Unknown field."),
        ({"updated_at": "2031-01-01T00:00:00Z"}, "updated_at", "Unknown field."),
        ({"night_starts": "22:00"}, "night_starts", "Unknown field."),
    ],
)
def test_a_bad_body_is_a_400_by_field(world, body, field, words):
    answer = api_client(world, world.manager, world.alpha).patch(URL, body, format="json")
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert field in error["fields"] and words in " ".join(error["fields"][field]), error
    assert audits() == []


def test_a_body_that_is_no_object_is_a_400(world):
    http = api_client(world, world.manager, world.alpha)
    for raw in ("[]", '"holidays"', "{", "null"):
        answer = http.generic("PATCH", URL, raw, content_type="application/json")
        assert answer.status_code == 400, (raw, answer.content)


TIMES = st.one_of(
    st.times().map(lambda t: t.strftime("%H:%M")),
    st.text(max_size=12),
    st.integers(),
    st.none(),
)
DAYS = st.one_of(
    st.dates().map(date.isoformat),
    st.text(max_size=14),
    st.integers(),
    st.none(),
    st.booleans(),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
BODIES = st.dictionaries(
    st.sampled_from(
        [
            "office_starts",
            "office_ends",
            "holidays",
            "auto_incident_for_crisis",
            "approval_required",
            "timezone",
        ]
    ),
    st.one_of(TIMES, st.lists(DAYS, max_size=120), st.booleans(), JSON_VALUES),
    max_size=6,
)


@given(body=st.one_of(BODIES, JSON_VALUES))
@settings(
    deadline=None,
    database=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_whatever_json_arrives_the_answer_is_no_5xx_and_the_settings_still_read(world, body):
    for user in (world.staff_a, world.manager):
        http = api_client(world, user, world.alpha)
        answer = http.generic("PATCH", URL, json.dumps(body), content_type="application/json")
        assert answer.status_code in (200, 400, 403), (body, answer.status_code, answer.content)
        assert answer.json()  # an answer in JSON, the error envelope or the settings
        read = http.get(URL)
        assert read.status_code == 200
        settings_now = read.json()
        assert settings_now["office_starts"] < settings_now["office_ends"]
        assert settings_now["holidays"] == sorted(set(settings_now["holidays"]))
        assert len(settings_now["holidays"]) <= MAX_HOLIDAYS
    assert api_client(world, world.staff_b, world.bravo).get(URL).json()["holidays"] == []
