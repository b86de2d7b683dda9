"""Replies and own posts: reply once per thread, and once per author within the incident,
with the article's reason; a lead may allow a second one with a reason, which is logged; two
people recording a reply to the same post at the same moment end with one reply (the database
decides); the first-response clock runs from the wave's first negative message on its origin
platform to the brand's first answer there, and an answer on another platform is flagged."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from agency.exceptions import PermissionDeniedError
from agency.models import AuditEvent
from clients import tenancy
from monitoring.models import Mention
from monitoring.services.ingestion import mentions_ingest
from playbooks.exceptions import ReplyOnceError
from playbooks.models import Incident, Response
from playbooks.selectors import first_response
from playbooks.services import incident_open, response_record
from tests.monitoring.factories import make_source
from tests.monitoring.test_escalation import raise_alert

START = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def thread(client, alert, *, platform: str = "instagram") -> list[Mention]:  # type: ignore[no-untyped-def]
    """Three negative posts of the alert's wave: two in one thread (the second by another
    author), one in a thread of its own by the first author."""
    source = make_source(client, platform=platform)
    with tenancy.tenant_context(client):
        mentions_ingest(
            client=client,
            source=source,
            channel="api",
            items=[
                {
                    "external_id": external_id,
                    "posted_at": (START + timedelta(minutes=n)).isoformat(),
                    "text": "Disgusting service, never again!",
                    "thread_id": thread_id,
                    "author": {"handle": handle, "followers": 100},
                    "platform": platform,
                }
                for n, (external_id, thread_id, handle) in enumerate(
                    [("p1", "t1", "anna"), ("p2", "t1", "bert"), ("p3", "t3", "anna")]
                )
            ],
        )
        Mention.objects.update(wave=alert.wave, sentiment="neg")
        return list(Mention.objects.order_by("external_id"))


@pytest.mark.django_db
def test_reply_once_per_thread_and_per_author_unless_a_lead_allows_it(world):
    alert = raise_alert(world.alpha, at=START)
    first, same_thread, same_author = thread(world.alpha, alert)
    with tenancy.tenant_context(world.alpha):
        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)

        def reply(mention, user=world.staff_a, **extra):  # type: ignore[no-untyped-def]
            return response_record(
                client=world.alpha,
                acting_user=user,
                kind="reply",
                platform="instagram",
                text="We're sorry to hear this; we are looking into it: https://acme.test/qa",
                mention=mention,
                incident=incident,
                **extra,
            )

        reply(first)
        with pytest.raises(ReplyOnceError, match="Reply once: the brand answered in this thread"):
            reply(same_thread)
        with pytest.raises(ReplyOnceError, match="this author in this incident"):
            reply(same_author)
        # Not the lead: no override. The lead: allowed, and logged.
        with pytest.raises(PermissionDeniedError):
            reply(same_thread, user=world.staff_b, override_reason="the facts changed")
        allowed = reply(same_thread, override_reason="New facts: the recall is official")
        assert allowed.override_reason.startswith("New facts")
        assert (
            "a second reply, allowed"
            in incident.events.get(kind="response", note__contains="allowed").note
        )
        assert Response.objects.count() == 2
    assert AuditEvent.objects.filter(verb="response.recorded", client_slug="alpha").count() == 2
    with tenancy.tenant_context(world.bravo):
        assert not Response.objects.exists()


@pytest.mark.django_db
def test_the_first_response_clock_and_an_answer_on_the_wrong_platform(world):
    alert = raise_alert(world.alpha, at=START)  # its wave started on Instagram
    first, *_ = thread(world.alpha, alert)
    with tenancy.tenant_context(world.alpha):
        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)
        clock = first_response(client=world.alpha, incident=incident)
        assert clock.started_at == START and clock.answered_at is None
        assert clock.minutes(START + timedelta(minutes=20)) == 20
        assert clock.late(START + timedelta(minutes=clock.target_minutes + 1))
        response_record(
            client=world.alpha,
            acting_user=world.staff_a,
            kind="post",
            platform="x",
            text="We know about the problem and are on it.",
            incident=incident,
            at=START + timedelta(minutes=8),
        )
        clock = first_response(client=world.alpha, incident=incident)
        assert clock.answered_at is None and clock.elsewhere == ("x", START + timedelta(minutes=8))
        response_record(
            client=world.alpha,
            acting_user=world.staff_a,
            kind="reply",
            platform="instagram",
            text="We're sorry; we are looking into it.",
            mention=first,
            incident=incident,
            at=START + timedelta(minutes=12),
        )
        clock = first_response(client=world.alpha, incident=incident)
        assert clock.answered_at == START + timedelta(minutes=12)
        assert clock.minutes(START + timedelta(hours=5)) == 12  # stopped
        assert clock.elsewhere == ("x", START + timedelta(minutes=8))


def test_two_people_replying_at_the_same_moment_send_one_reply(world, committed):
    """Two threads, two database connections, one barrier: both record a reply to the same
    post at once; the unique constraint lets exactly one through."""
    audit_before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    alert = raise_alert(world.alpha, at=START)
    first, *_ = thread(world.alpha, alert)
    with tenancy.tenant_context(world.alpha):
        incident = incident_open(client=world.alpha, alert=alert, acting_user=world.staff_a)
    tenancy.reset_to_public()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(user) -> None:  # type: ignore[no-untyped-def]
        try:
            with tenancy.tenant_context(world.alpha):
                barrier.wait(5)
                response_record(
                    client=world.alpha,
                    acting_user=user,
                    kind="reply",
                    platform="instagram",
                    text=f"We're sorry, {user.email} here; we are looking into it.",
                    mention=first,
                    incident=incident,
                )
            outcomes.append("sent")
        except ReplyOnceError:
            outcomes.append("refused")
        finally:
            connection.close()

    try:
        people = [world.staff_a, world.manager]
        workers = [threading.Thread(target=answer, args=(p,)) for p in people]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(20)
        assert sorted(outcomes) == ["refused", "sent"]
        with tenancy.tenant_context(world.alpha):
            assert Response.objects.filter(mention=first).count() == 1
    finally:
        with tenancy.tenant_context(world.alpha):
            Response.objects.all().delete()
            Incident.objects.all().delete()
            Mention.objects.all().delete()
            alert.delete()
            alert.wave.delete()
            from monitoring.models import Source

            Source.objects.all().delete()
        AuditEvent.objects.filter(id__gt=audit_before).delete()
        from agency.models import Notification

        Notification.objects.filter(client=world.alpha).delete()
        connection.close()
