"""Ambassadors and the 99 fans: a fan's accounts are flagged for detection; the ambassadors
active in a wave with what they said; a message to them out of band with the Q&A link, once
per incident, never a script to paste; the balance of positive and negative voices and reach
in the wave and in the usual week; the other brand knows none of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from agency.models import Notification
from agency.notifications import notification_deliver
from clients import tenancy
from monitoring.models import Author, Mention
from monitoring.services.ingestion import mentions_ingest
from playbooks.ambassadors import (
    ambassador_add,
    ambassador_remove,
    ambassadors_message,
    wave_ambassadors,
    wave_balance,
)
from playbooks.exceptions import IncidentError
from playbooks.services import incident_open
from tests.monitoring.factories import make_source
from tests.monitoring.test_escalation import raise_alert

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def posts(client, wave, items) -> None:  # type: ignore[no-untyped-def]
    """(external id, minutes from START, handle, followers, sentiment, in the wave?)"""
    source = make_source(client, platform="instagram")
    with tenancy.tenant_context(client):
        mentions_ingest(
            client=client,
            source=source,
            channel="api",
            items=[
                {
                    "external_id": external_id,
                    "posted_at": (START + timedelta(minutes=minutes)).isoformat(),
                    "text": f"post {external_id}",
                    "author": {"handle": handle, "followers": followers},
                    "platform": "instagram",
                }
                for external_id, minutes, handle, followers, _s, _w in items
            ],
        )
        for external_id, _m, _h, _f, sentiment, in_wave in items:
            Mention.objects.filter(external_id=external_id).update(
                sentiment=sentiment, wave=wave if in_wave else None
            )


def test_ambassadors_in_the_wave_the_balance_and_a_message_out_of_band(world):
    alert = raise_alert(world.alpha, at=START)
    with tenancy.tenant_context(world.alpha):
        fan = ambassador_add(
            client=world.alpha,
            name="Fien",
            email="fien@fans.test",
            accounts=[("instagram", "@fien"), ("x", "fien_x")],
            acting_user=world.staff_a,
        )
        assert set(Author.objects.filter(is_ambassador=True).values_list("handle", flat=True)) == {
            "fien",
            "fien_x",
        }
        with pytest.raises(IncidentError, match="Fien's already"):
            ambassador_add(
                client=world.alpha,
                name="Someone",
                accounts=[("instagram", "fien")],
                acting_user=world.staff_a,
            )
    posts(
        world.alpha,
        alert.wave,
        [
            ("w1", 0, "angry1", 200, "neg", True),
            ("w2", 1, "angry2", 50_000, "neg", True),
            ("w3", 2, "fien", 900, "pos", True),
            ("u1", -3 * 24 * 60, "happy1", 100, "pos", False),
            ("u2", -2 * 24 * 60, "happy2", 300, "pos", False),
            ("u3", -1 * 24 * 60, "grump", 14, "neg", False),
        ],
    )
    with tenancy.tenant_context(world.alpha):
        Mention.objects.filter(author__handle="fien").update(is_ambassador=True)
        active = wave_ambassadors(client=world.alpha, wave=alert.wave)
        assert [(a.ambassador, a.author.handle) for a in active] == [(fan, "fien")]
        assert active[0].mentions[0].text == "post w3"
        in_wave, usual = wave_balance(client=world.alpha, wave=alert.wave)
        assert (in_wave.negative.authors, in_wave.negative.reach) == (2, 50_200)
        assert (in_wave.positive.authors, in_wave.positive.reach) == (1, 900)
        assert (usual.positive.authors, usual.negative.authors) == (2, 1)
        assert usual.positive_share == pytest.approx(2 / 3)

        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)
        with pytest.raises(IncidentError, match="never give them a text to paste"):
            ambassadors_message(
                client=world.alpha,
                incident=incident,
                text="Copy this: Acme is great!",
                acting_user=world.staff_a,
            )
        for _ in range(2):
            sent = ambassadors_message(
                client=world.alpha,
                incident=incident,
                text="There is a lot of noise about our delivery; here is what we know.",
                qa_link="https://alpha.example/qa/abc/",
                acting_user=world.staff_a,
            )
        assert sent == 1
        # On the incident's timeline, each time it went out.
        notes = list(incident.events.filter(kind="note").values_list("note", flat=True))
        assert (
            notes.count(
                "Message to the ambassadors (1), out of band, with the Q&A page: https://alpha.example/qa/abc/"
            )
            == 2
        )
    (row,) = Notification.objects.filter(to_address="fien@fans.test")
    notification_deliver(notification_id=row.pk)
    assert "https://alpha.example/qa/abc/" in mail.outbox[0].body
    # The fans never see the desk's alert title, only the brand's own words.
    assert alert.title not in mail.outbox[0].subject
    assert mail.outbox[0].subject.startswith("Alpha Bakery: ")
    with tenancy.tenant_context(world.alpha):
        ambassador_remove(client=world.alpha, ambassador=fan, acting_user=world.staff_a)
        assert not Author.objects.filter(is_ambassador=True).exists()
    with tenancy.tenant_context(world.bravo):
        assert not Author.objects.filter(is_ambassador=True).exists()
        assert wave_ambassadors(client=world.bravo, wave=alert.wave) == []
