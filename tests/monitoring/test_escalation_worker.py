"""The watch end to end with the real worker, broker and database, and a local HTTP server
standing in for the chat/push provider (apprise sends to it for real): a crisis alert reaches
the person on duty; the worker is killed between two steps and another takes over: every step
ran exactly once and nobody got a message twice; the backup's provider fails five times and
then recovers: the page is delivered once; the tap on the acknowledge link stops it all."""

from __future__ import annotations

import json
import signal
import time
from datetime import date, timedelta
from datetime import time as clock

from django.db import connection, transaction
from django.test import Client as HttpClient
from django.utils import timezone
from werkzeug import Request, Response

from agency.models import ContactMethod, Notification, Schedule
from agency.notifications import contact_method_add
from agency.roster import schedule_create, schedule_layer_add
from clients import tenancy
from monitoring.models import Alert, AlertStatus, Escalation, EscalationState, Wave
from monitoring.services.alerts import alert_raise
from monitoring.tasks import escalations_audit
from tests.conftest import agency_person
from tests.monitoring.worker import start_worker, stop, wait_for


class Provider:
    """The pages the chat service took, per path (other messages, such as the notices of the
    schedule's set-up, are taken and not counted); the backup's first five pages fail."""

    def __init__(self) -> None:
        self.received: dict[str, list[dict[str, str]]] = {}
        self.failures_left = {"/bea": 5}

    def __call__(self, request: Request) -> Response:
        message = json.loads(request.data)
        if not message["title"].startswith("[CRISIS]"):
            return Response("{}", status=200, content_type="application/json")
        if self.failures_left.get(request.path, 0) > 0:
            self.failures_left[request.path] -= 1
            return Response("overloaded", status=503)
        self.received.setdefault(request.path, []).append(message)
        return Response("{}", status=200, content_type="application/json")

    def count(self, path: str) -> int:
        return len(self.received.get(path, []))


def test_pages_survive_a_killed_worker_and_a_failing_provider_and_stop_on_ack(
    world, committed, httpserver
):
    provider = Provider()
    httpserver.expect_request("/staff").respond_with_handler(provider)
    httpserver.expect_request("/bea").respond_with_handler(provider)
    base = f"json://{httpserver.host}:{httpserver.port}"
    bea = agency_person("bea", client=world.alpha)
    methods = []
    for person, path in ((world.staff_a, "/staff"), (bea, "/bea")):
        method = contact_method_add(user=person, kind="apprise", target=f"{base}{path}")
        ContactMethod.objects.filter(pk=method.pk).update(verified_at=timezone.now())
        methods.append(method)
    schedule = schedule_create(name="Alpha desk", brands=[world.alpha], acting_user=world.manager)
    today = timezone.localdate() - timedelta(days=1)
    for role, person in (("primary", world.staff_a), ("backup", bea)):
        schedule_layer_add(
            schedule=schedule,
            people=[person],
            starts_on=date(today.year, today.month, today.day),
            hand_off=clock(0, 0),
            role=role,
            acting_user=world.manager,
        )
    worker = start_worker(NOTIFY_RETRY_BASE_SECONDS="0.2", NOTIFY_RETRY_CAP_SECONDS="2")
    second = None
    try:
        with tenancy.tenant_context(world.alpha):
            now = timezone.now()
            with transaction.atomic():
                wave = Wave.objects.create(
                    status="open",
                    started_at=now - timedelta(minutes=20),
                    last_activity_at=now,
                    origin_platform="instagram",
                    level="crisis",
                    peak_level="crisis",
                    reasons=["negative volume 12x a usual hour"],
                    negative_count=80,
                    mention_count=100,
                    judged_at=now,
                )
                alert = alert_raise(
                    client=world.alpha,
                    wave=wave,
                    title="crisis: 80 negative mentions",
                    reasons=wave.reasons,
                    at=now,
                )
            # Committed: routing started the escalation, the worker ran its first step and sent.
            wait_for(lambda: provider.count("/staff") == 1, 30, "the page to the person on duty")
            escalation = Escalation.objects.get(alert=alert)
            assert escalation.state == EscalationState.ACTIVE and escalation.step == 1

            # The worker dies holding the next step (due in 5 minutes) unacknowledged.
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            # The wait passes (moved on the row, not slept), and another worker starts.
            Escalation.objects.filter(pk=escalation.pk).update(
                next_at=timezone.now() - timedelta(minutes=1)
            )
            second = start_worker(NOTIFY_RETRY_BASE_SECONDS="0.2", NOTIFY_RETRY_CAP_SECONDS="2")
            # The auditor finds the late step; resend it twice: the token makes one run.
            escalations_audit.delay(schema_name=world.alpha.schema_name)
            escalations_audit.delay(schema_name=world.alpha.schema_name)
            wait_for(lambda: provider.count("/bea") == 1, 60, "the backup's page, after retries")
            page = Notification.objects.get(method_id=methods[1].pk, topic="alert")
            assert (page.status, page.attempts) == ("delivered", 6)
            assert provider.received["/bea"][0]["title"].startswith("[CRISIS] Alpha Bakery")

            # Acknowledged with the link from the backup's page.
            path = "/" + page.link.split("/", 3)[3]
            answer = HttpClient(HTTP_HOST=world.host(None)).post(path)
        assert answer.status_code == 200
        with tenancy.tenant_context(world.alpha):  # the portal's request left the brand
            assert Alert.objects.get(pk=alert.pk).status == AlertStatus.ACKNOWLEDGED
            stopped = Escalation.objects.get(pk=escalation.pk)
            assert stopped.state == EscalationState.ACKNOWLEDGED

            # Later audits and the redelivered message of the dead worker change nothing.
            time.sleep(2.5)
            escalations_audit.delay(schema_name=world.alpha.schema_name)
            time.sleep(1.5)
            runs = Escalation.objects.get(pk=escalation.pk).runs
            assert [(r["round"], r["step"]) for r in runs] == [(0, 0), (0, 1)]
            assert (provider.count("/staff"), provider.count("/bea")) == (1, 1)
            assert Notification.objects.filter(client=world.alpha, alert_id=alert.pk).count() == 2
            assert len(provider.received["/staff"]) == len(provider.received["/bea"]) == 1
        # The other brand was never touched.
        with tenancy.tenant_context(world.bravo):
            assert not Escalation.objects.exists()
    finally:
        stop(worker, second)
        with tenancy.tenant_context(world.alpha):
            Alert.objects.all().delete()
            Wave.objects.all().delete()
        Notification.objects.all().delete()
        Schedule.objects.filter(pk=schedule.pk).delete()
        ContactMethod.objects.filter(pk__in=[m.pk for m in methods]).delete()
        bea.delete()
        connection.close()
