"""The demo's platforms in Chromium: the desk's holding reply on Instagram and a reply on X go out
through the platforms' stand-in (bin/platform_standin.py), one refused for a revoked token; the
incident's timeline says what was sent, and the stand-in's own page shows a person what went
out, at desk and phone sizes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agency.models import User
from clients import tenancy
from playbooks.sending import ResponseSendError
from tests.browser.conftest import DESK, PHONE, log_in, serious, shot
from tests.monitoring.factories import make_source
from tests.playbooks.test_platform_standin import account_of, running_standin
from tests.playbooks.test_sending import brand_incident, draft, send

pytestmark = [pytest.mark.django_db, pytest.mark.browser]
HOLDING = "We see your messages and we are looking into it now. More soon: https://alpha.test/qa/k3"


@pytest.fixture(autouse=True)
def _in_english(db):  # type: ignore[no-untyped-def]
    User.objects.update(language="en")


def test_what_went_out_shows_on_the_incident_and_on_the_stand_ins_page(
    world, site, chromium, settings, tmp_path: Path
):
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({"accounts": [account_of("instagram"), account_of("x")]}))
    incident, comment = brand_incident(world.alpha, "instagram")
    with running_standin(accounts, tmp_path / "requests.jsonl", settings) as api:
        with tenancy.tenant_context(world.alpha):
            sent = send(world, draft(world, incident, "instagram", comment, text=HOLDING))
            assert sent.status == "sent"
            # The X account's token was revoked on X: the desk is told in X's words.
            make_source(
                world.alpha,
                platform="x",
                kind="owned",
                name="Alpha on X",
                credentials={"access_token": "revoked-on-x"},
            )
            with pytest.raises(ResponseSendError, match="X refused the token: Unauthorized"):
                send(world, draft(world, incident, "x", text="An update: " + HOLDING))
        tenancy.reset_to_public()

        page = log_in(chromium, site, world.staff_a.email, viewport=DESK)
        page.goto(site.url("alpha.agency.localhost", f"/incidents/{incident.pk}/"))
        timeline = page.inner_text("body")
        assert f"Reply #{sent.pk} on Instagram sent" in timeline
        assert "X refused the token: Unauthorized" in timeline
        shot(page, "standin-incident-timeline")

        for name, viewport in (("desk", DESK), ("phone", PHONE)):
            view = chromium.new_page(viewport=viewport)
            view.goto(api.root + "/")
            rows = view.locator("tbody tr")
            assert rows.count() == 2
            newest, first = rows.nth(0).inner_text(), rows.nth(1).inner_text()
            assert "401" in newest and "unknown token" in newest and "/2/tweets" in newest
            assert "alpha: alphabakery" in first and HOLDING in first and "200" in first
            assert f"/{comment.external_id}/replies" in first
            assert serious(view) == []
            shot(view, f"standin-what-went-out-{name}")
            view.close()
    entries: list[dict[str, Any]] = api.entries()
    assert [e["status"] for e in entries] == [200, 401]
    assert entries[0]["text"] == HOLDING and entries[0]["made"]
