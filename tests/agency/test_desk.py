"""The agency desk: every brand the person covers, what burns on top, from the public status
rows only (no brand schema read, a fixed number of queries whatever the number of brands), its
own polling partial, and nothing of a brand the person does not cover."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agency.models import BrandStatus
from agency.roster import schedule_create, schedule_layer_add
from clients import tenancy
from clients.services import client_onboard
from monitoring.services.status import brand_status_refresh
from tests.monitoring.factories import make_alert

pytestmark = pytest.mark.django_db
HOST = "agency.localhost"


def page(user) -> HttpClient:  # type: ignore[no-untyped-def]
    browser = HttpClient(HTTP_HOST=HOST)
    browser.force_login(user)
    return browser


def refresh(client) -> BrandStatus:  # type: ignore[no-untyped-def]
    with tenancy.tenant_context(client):
        return brand_status_refresh(client=client)


def test_what_burns_is_on_top_with_its_alert(world):
    make_alert(world.bravo, level="crisis")
    refresh(world.alpha)
    refresh(world.bravo)
    html = page(world.manager).get("/").content.decode()
    assert html.index("Bravo Boats") < html.index("Alpha Bakery")  # crisis above calm
    assert 'data-alert-level="crisis"' in html
    assert "crisis: 12 negative mentions" in html
    assert "nobody has acknowledged it" in html
    assert 'hx-get="/desk/rows/"' in html and 'hx-trigger="every 15s"' in html
    # the opening time in the brand's own zone, with its offset
    assert "(+0" in html or "(-0" in html


def test_staff_see_only_the_brands_they_cover(world):
    make_alert(world.bravo, level="crisis")
    refresh(world.bravo)
    for path in ("/", "/desk/rows/"):
        html = page(world.staff_a).get(path).content.decode()
        assert "Alpha Bakery" in html
        assert "Bravo Boats" not in html and "crisis" not in html


def test_the_polling_partial_is_the_rows_alone_and_for_agency_roles_only(world):
    refresh(world.alpha)
    partial = page(world.staff_a).get("/desk/rows/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    body = partial.content.decode()
    assert "<html" not in body and 'data-brand="alpha"' in body
    assert page(world.viewer_a).get("/desk/rows/").status_code == 403
    assert page(world.outsider).get("/desk/rows/").status_code == 403
    anonymous = HttpClient(HTTP_HOST=HOST).get("/desk/rows/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_a_client_viewer_goes_to_their_brands_dashboard(world):
    response = page(world.viewer_a).get("/")
    assert response.status_code == 302
    assert response["Location"] == world.alpha.get_absolute_url()


def test_a_failing_source_and_a_multiplier_post_show(world):
    from tests.monitoring.factories import make_source

    source = make_source(world.alpha, name="X search")
    with tenancy.tenant_context(world.alpha):
        source.last_error_at = timezone.now()
        source.last_error = "X refused the credentials (401): Unauthorized."
        source.save()
    refresh(world.alpha)
    html = page(world.staff_a).get("/").content.decode()
    assert "X search is failing:" in html and "(401): Unauthorized." in html


def test_the_desk_costs_the_same_queries_for_many_brands(world):
    def queries() -> int:
        browser = page(world.manager)
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/desk/rows/").status_code == 200
        return len(captured)

    for client in (world.alpha, world.bravo):
        refresh(client)
    desk = schedule_create(name="Alpha desk", brands=[world.alpha], acting_user=None)
    schedule_layer_add(
        schedule=desk,
        people=[world.staff_a],
        starts_on=date(2026, 1, 5),
        hand_off=time(9),
        acting_user=None,
    )
    queries()  # warm: the first request of a process loads what later ones reuse
    few = queries()
    # session, user, role, the brands, their status rows, their open incidents; the roster
    # (schedules, layers, people, brands, overrides, leave) and who is on duty (and the
    # middlewares' own)
    assert few == DESK_ROWS_QUERIES
    for n in range(8):
        brand = client_onboard(
            name=f"Brand {n}", slug=f"brand{n}", timezone_name="Europe/Stockholm", language="sv"
        )
        refresh(brand)
    tenancy.reset_to_public()
    queries()  # an onboarding makes the next request look the hosts up again, once
    assert queries() == few
    assert BrandStatus.objects.count() == 10
    # no brand schema was read: every status row came from public
    with CaptureQueriesContext(connection) as captured:
        page(world.manager).get("/desk/rows/")
    assert not any("brand_" in q["sql"] for q in captured.captured_queries)


def test_a_brand_not_refreshed_yet_is_listed_as_not_checked(world):
    html = page(world.manager).get("/").content.decode()
    assert "Not checked yet" in html
    assert BrandStatus.objects.filter(updated_at__gte=timezone.now() - timedelta(1)).count() == 0


DESK_ROWS_QUERIES = 15


def test_who_is_on_duty_shows_and_a_brand_nobody_watches_is_red(world):
    for client in (world.alpha, world.bravo):
        refresh(client)
    desk = schedule_create(name="Alpha desk", brands=[world.alpha], acting_user=None)
    schedule_layer_add(
        schedule=desk,
        people=[world.staff_a, world.staff_b],
        starts_on=date(2026, 1, 5),
        hand_off=time(9),
        acting_user=None,
    )
    html = page(world.manager).get("/desk/rows/").content.decode()
    alpha = html[html.index('data-brand="alpha"') :].split("</article>")[0]
    bravo = html[html.index('data-brand="bravo"') :].split("</article>")[0]
    assert "On duty:" in alpha and "backup:" in alpha and "Nobody on duty" not in alpha
    names = {
        world.staff_a.full_name or world.staff_a.email,
        world.staff_b.full_name or world.staff_b.email,
    }
    assert any(f"On duty: {name}" in alpha for name in names)
    assert "Nobody on duty for this brand now." in bravo
    assert 'class="brand state-calm uncovered"' in html
    # staff on alpha alone see alpha's row only, never bravo's people or state
    own = page(world.staff_a).get("/desk/rows/").content.decode()
    assert 'data-brand="bravo"' not in own and "On duty:" in own


def test_the_desk_shows_the_watch_log_and_records_a_check_of_a_covered_brand(
    world, django_capture_on_commit_callbacks
):
    from monitoring.models import WatchCheck

    refresh(world.alpha)
    text = page(world.staff_a).get("/").content.decode()
    assert "Check due" in text and "nobody has recorded a look yet" in text
    with django_capture_on_commit_callbacks(execute=True):
        answer = page(world.staff_a).post("/desk/check/alpha/", HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and "<article" in answer.content.decode()  # the rows
    row = page(world.staff_a).get("/").content.decode()  # refreshed once the check committed
    assert "Check due" not in row and f"by {world.staff_a.email}" in row
    with tenancy.tenant_context(world.alpha):
        assert WatchCheck.objects.get().by == world.staff_a.email
    # Another brand's staff, and the client viewer, cannot check alpha from the desk.
    assert page(world.staff_b).post("/desk/check/alpha/").status_code == 403
    assert page(world.viewer_a).post("/desk/check/alpha/").status_code == 403
    with tenancy.tenant_context(world.alpha):
        assert WatchCheck.objects.count() == 1
    with tenancy.tenant_context(world.bravo):
        assert not WatchCheck.objects.exists()
