"""The interface's language: the person's choice, stored on them; else the brand's language on
its pages; else the browser's. The choice is made on the portal and holds on every host."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from agency.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_chosen(world):  # type: ignore[no-untyped-def]
    """The world's people have chosen English; here they have chosen nothing (the test's
    transaction rolls this back)."""
    User.objects.update(language="")


def browser(world, user, client=None, **headers) -> HttpClient:  # type: ignore[no-untyped-def]
    http = HttpClient(HTTP_HOST=world.host(client), **headers)
    http.force_login(user)
    return http


def test_a_brand_page_speaks_the_brands_language_until_the_person_chooses(world):
    # Alpha's language is Dutch, Bravo's Swedish.
    alpha = browser(world, world.staff_a, world.alpha).get("/alerts/")
    assert alpha["Content-Language"] == "nl" and 'lang="nl"' in alpha.content.decode()
    assert "Uitloggen" in alpha.content.decode()
    bravo = browser(world, world.staff_b, world.bravo).get("/alerts/")
    assert bravo["Content-Language"] == "sv" and "Logga ut" in bravo.content.decode()
    portal = browser(world, world.staff_a, HTTP_ACCEPT_LANGUAGE="sv,en;q=0.5")
    chosen = portal.post(
        "/language/", {"language": "en", "next": f"http://{world.host(world.alpha)}/alerts/"}
    )
    assert chosen.status_code == 302
    assert chosen["Location"] == f"http://{world.host(world.alpha)}/alerts/"
    assert User.objects.get(pk=world.staff_a.pk).language == "en"
    again = browser(world, world.staff_a, world.alpha).get("/alerts/")
    assert again["Content-Language"] == "en" and "Log out" in again.content.decode()


def test_the_portal_follows_the_browser_when_nothing_was_chosen(world):
    page = browser(world, world.manager, HTTP_ACCEPT_LANGUAGE="sv,en;q=0.5").get("/")
    assert page["Content-Language"] == "sv"
    assert browser(world, world.manager).get("/")["Content-Language"] == "en"
    refused = HttpClient(HTTP_HOST=world.host(world.alpha), HTTP_ACCEPT_LANGUAGE="nl")
    refused.force_login(world.outsider)
    answer = refused.get("/alerts/")
    assert answer.status_code == 403 and "Je hebt geen toegang" in answer.content.decode()


def test_a_bad_choice_or_a_foreign_next_is_refused_calmly(world):
    portal = browser(world, world.viewer_a)
    assert portal.post("/language/", {"language": "klingon"}).status_code == 400
    assert User.objects.get(pk=world.viewer_a.pk).language == ""
    away = portal.post("/language/", {"language": "sv", "next": "https://evil.example/"})
    assert away.status_code == 302 and away["Location"] == "/"
    back = portal.post("/language/", {"language": "", "next": "//evil.example/x"})
    assert back["Location"] == "/"
    assert User.objects.get(pk=world.viewer_a.pk).language == ""
    form = portal.get("/language/", {"next": "/"}).content.decode()
    assert 'name="language"' in form and "Svenska" in form
    anonymous = HttpClient(HTTP_HOST=world.host(None)).get("/language/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
