"""The demo agency (bin/demo's seed_demo): two brands, a login per role, and a roster whose gaps
the desk shows; Acme's response set up (office hours and holidays, employees, ambassadors who
speak up in its wave, its own accounts that may send, known to the platforms' stand-in); running
it again adds nothing. Its crisis pages the staff member, and their holding reply on Instagram
goes out through the stand-in."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, time

import pytest
from django.core.management import call_command

from agency.models import Schedule, User
from agency.roster import on_duty_for_brands
from clients import tenancy
from clients.models import Client
from monitoring.demo import FANS, MEDIA
from monitoring.models import Mention, Source, Wave
from monitoring.services.sources import source_credentials
from playbooks.ambassadors import wave_ambassadors
from playbooks.models import Ambassador, AmbassadorAccount, Employee, ResponseSettings

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_day_desk_for_acme_and_leaves_nordlys_and_nights_uncovered(
    world, settings, tmp_path
):
    settings.DEMO_PUSH_DIR = settings.DEMO_PLATFORMS_DIR = tmp_path
    for _ in range(2):
        call_command("seed_demo", stdout=io.StringIO())
    assert Schedule.objects.filter(name="Acme day desk").count() == 1
    acme, nordlys = Client.objects.get(slug="acme"), Client.objects.get(slug="nordlys")
    staff = User.objects.get(email="staff@stormdesk.localhost")
    manager = User.objects.get(email="manager@stormdesk.localhost")
    tuesday_morning = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
    covers = on_duty_for_brands(clients=[acme, nordlys], at=tuesday_morning)
    assert covers[acme.pk][0].primary == str(staff.pk)
    assert covers[acme.pk][0].backup == str(manager.pk)
    assert covers[nordlys.pk][0].primary is None
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=UTC)
    assert on_duty_for_brands(clients=[acme], at=saturday)[acme.pk][0].primary is None
    known = json.loads((tmp_path / "accounts.json").read_text())["accounts"]
    with tenancy.tenant_context(acme):
        response = ResponseSettings.objects.get()
        assert (response.office_starts, response.office_ends) == (time(8, 30), time(17, 30))
        assert "2026-12-25" in response.holidays and "2027-04-27" in response.holidays
        languages = dict(Employee.objects.values_list("email", "language"))
        assert len(languages) == 6 and set(languages.values()) == {"nl", "en", "sv"}
        # The ambassadors are the fans who speak up in the wave, with all their accounts.
        assert Ambassador.objects.count() == len(FANS) == 3
        linked = set(AmbassadorAccount.objects.values_list("author__platform", "author__handle"))
        assert linked == {(f.platform, f.handle) for f in FANS} | {("x", "mariekedv")}
        active = wave_ambassadors(client=acme, wave=Wave.objects.get())
        assert {a.author.handle for a in active} == {f.handle for f in FANS}
        assert all(m.sentiment == "pos" for a in active for m in a.mentions)
        # Its own accounts: one source each, with what its sender needs, known to the platforms.
        owned = {s.platform: s for s in Source.objects.filter(kind="owned")}
        assert sorted(owned) == ["facebook", "instagram", "x"]
        assert Source.objects.filter(kind="owned").count() == 3 and not any(
            s.pull for s in owned.values()
        )
        for account in known:
            source = owned[account["platform"]]
            assert account["access_token"] == source_credentials(source=source)["access_token"]
            assert account["brand"] == "acme" and source.settings.items() <= account.items()
        assert owned["x"].settings["username"] == owned["instagram"].settings["username"]
    with tenancy.tenant_context(nordlys):
        assert not Employee.objects.exists() and not Ambassador.objects.exists()
        assert not Source.objects.filter(kind="owned", platform="x").exists()


def test_the_demo_crisis_pages_the_staff_member_on_their_phone_and_mail(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Acme's live crisis starts its escalation; its first step pages the staff member (who
    holds the next twelve hours) on the demo phone's push subscription and their mail at once.
    Its incident is open with the playbook Acme's hours choose, and the staff member's holding
    reply on Instagram goes out through the platforms' stand-in; a second reply under the same
    post is refused."""
    settings.DEMO_PUSH_DIR = settings.DEMO_PLATFORMS_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    assert (tmp_path / "phone.json").exists()
    from django.utils import timezone

    from agency.models import ContactMethod, Notification
    from clients import tenancy
    from monitoring.models import Alert, Escalation
    from monitoring.services.escalation import escalation_step_run

    staff = User.objects.get(email="staff@stormdesk.localhost")
    kinds = set(ContactMethod.objects.filter(user=staff).values_list("kind", "verified_at"))
    assert {kind for kind, verified in kinds if verified} == {"push", "email"}
    acme = Client.objects.get(slug="acme")
    with tenancy.tenant_context(acme):
        alert = Alert.objects.get()
        escalation = Escalation.objects.get(alert=alert)
        ran = escalation_step_run(
            client=acme,
            escalation_id=escalation.pk,
            token=str(escalation.token),
            now=timezone.now(),
        )
    assert ran == "ran"
    pages = Notification.objects.filter(client=acme, alert_id=alert.pk)
    assert {(p.user_id, p.kind) for p in pages} == {(staff.pk, "push"), (staff.pk, "email")}
    assert all(p.subject.startswith("[CRISIS] Acme Coffee") for p in pages)
    holding_reply_on_instagram(acme, staff, tmp_path, settings)


def holding_reply_on_instagram(acme: Client, staff: User, folder, settings) -> None:  # type: ignore[no-untyped-def]
    from playbooks.choice import TIMING_WORDS
    from playbooks.exceptions import ReplyOnceError
    from playbooks.models import Incident
    from playbooks.selectors import situation_timing
    from playbooks.sending import response_draft, response_send
    from tests.playbooks.test_platform_standin import running_standin

    with tenancy.tenant_context(acme):
        incident = Incident.objects.get()  # opened at once for the crisis (the brand says so)
        timing = situation_timing(client=acme, at=incident.alert.opened_at)
        named = [word for key, word in TIMING_WORDS.items() if key != "office"]
        said = [word for word in named if word in incident.playbook_reason]
        assert said == ([TIMING_WORDS[timing]] if timing in ("night", "weekend") else [])
        angry = list(
            Mention.objects.filter(
                platform="instagram", thread_id=MEDIA[0][0], sentiment="neg"
            ).order_by("posted_at")[:2]
        )
        text = "We see your messages and we are looking into it now. More soon."
        with running_standin(folder / "accounts.json", folder / "requests.jsonl", settings) as api:
            reply = response_send(
                client=acme,
                response=response_draft(
                    client=acme,
                    incident=incident,
                    kind="reply",
                    platform="instagram",
                    text=text,
                    mention=angry[0],
                    acting_user=staff,
                ),
                acting_user=staff,
            )
            assert reply.status == "sent" and reply.url == angry[0].url
            second = response_draft(
                client=acme,
                incident=incident,
                kind="reply",
                platform="instagram",
                text=text,
                mention=angry[1],
                acting_user=staff,
            )
            with pytest.raises(ReplyOnceError):
                response_send(client=acme, response=second, acting_user=staff)
            (out,) = api.entries()
        assert incident.events.filter(kind="response", note__contains="sent").exists()
    assert out["path"] == f"/v21.0/{angry[0].external_id}/replies"
    assert (out["platform"], out["account"], out["status"]) == (
        "instagram",
        "acme: acmecoffee",
        200,
    )
    assert out["request"] == {"message": text}
