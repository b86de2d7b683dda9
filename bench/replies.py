"""Benchmark: sending a reply through the platform's API from the desk, against a local
stand-in of X API v2.

    bin/bench replies        (or: .venv/bin/python bench/replies.py)

Runs against its own database (`<DATABASE_URL name>_bench`, dropped and created anew) with the
production code: one brand onboarded with `client_onboard`, its X account source (encrypted
credentials), a crisis wave with its incident, and 220 negative mentions, each in a thread of
its own by an author of its own (the reply-once rule lets one reply through per thread). The
stand-in is an HTTP server in this process (one thread per connection) that answers
POST /2/tweets with X's recorded 201 (tests/playbooks/recorded/x-created.json).

Timed: `response_send` of a draft, whole: the claim committed in a transaction of its own,
the credentials decrypted, the request to the stand-in (a new connection each send, as in
production), the row marked sent with its timeline row and audit event. 20 warm-up sends,
then 200 timed ones. Figure (target): reply send p95 < 200 ms. Updates the "Replies" section
of bench/RESULTS.md; the last line printed is key=value.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from common import ROOT, machine_line, p95, p99, setup_django, update_results

WARM, TIMED = 20, 200
TARGET_MS = 200
ANSWER = json.loads((ROOT / "tests" / "playbooks" / "recorded" / "x-created.json").read_text())


class StandIn(BaseHTTPRequestHandler):
    """X API v2's POST /2/tweets, as recorded."""

    protocol_version = "HTTP/1.1"
    received = 0

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        StandIn.received += 1
        body = json.dumps(ANSWER["body"]).encode()
        self.send_response(ANSWER["status"])
        for name, value in ANSWER["headers"].items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    os.environ["DEBUG"] = "false"
    setup_django()
    from django.conf import settings
    from django.utils import timezone

    from agency.models import Role
    from agency.services import membership_grant, user_create
    from clients import tenancy
    from clients.services import client_onboard
    from monitoring.models import Mention, Wave
    from monitoring.services.alerts import alert_raise
    from monitoring.services.ingestion import mentions_ingest
    from monitoring.services.sources import source_create
    from playbooks.models import Response
    from playbooks.sending import response_draft, response_send
    from playbooks.services import incident_open

    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.CONNECTOR_BASE_URLS = {"xrecentsearch": f"http://127.0.0.1:{server.server_port}"}

    brand = client_onboard(name="Bench Replies", slug="bench-replies")
    person = user_create(email="desk@bench.test", password=None)
    membership_grant(user=person, role=Role.AGENCY_STAFF, client=brand)
    now = timezone.now()
    with tenancy.tenant_context(brand):
        source = source_create(
            client=brand,
            acting_user=None,
            name="Bench Replies on X",
            platform="x",
            kind="owned",
            settings={"username": "benchreplies"},
            credentials={"access_token": "bench-user-token"},
        )
        mentions_ingest(
            client=brand,
            source=source,
            channel="api",
            items=[
                {
                    "external_id": f"18970000000000{n:05d}",
                    "posted_at": (now - timedelta(minutes=30, seconds=-n)).isoformat(),
                    "text": "Disgusting service, never again!",
                    "thread_id": f"18970000000000{n:05d}",
                    "author": {"handle": f"angry{n}", "followers": 300},
                    "platform": "x",
                    "language": "en",
                }
                for n in range(WARM + TIMED)
            ],
        )
        wave = Wave.objects.create(
            started_at=now - timedelta(minutes=30),
            last_activity_at=now,
            origin_platform="x",
            level="crisis",
            peak_level="crisis",
            reasons=["bench wave"],
            negative_count=WARM + TIMED,
            mention_count=WARM + TIMED,
            judged_at=now,
        )
        Mention.objects.update(wave=wave, sentiment="neg")
        alert = alert_raise(client=brand, wave=wave, title="crisis", reasons=wave.reasons, at=now)
        incident = incident_open(client=brand, alert=alert, acting_user=person)
        drafts = [
            response_draft(
                client=brand,
                incident=incident,
                kind="reply",
                platform="x",
                text="We're sorry to hear this. We are looking into it: https://bench.test/qa/k3",
                mention=mention,
                acting_user=person,
            )
            for mention in Mention.objects.order_by("pk")
        ]
        times = []
        for n, draft in enumerate(drafts):
            start = time.perf_counter()
            sent = response_send(client=brand, response=draft, acting_user=person)
            elapsed = (time.perf_counter() - start) * 1000
            assert sent.status == "sent", sent.status
            if n >= WARM:
                times.append(elapsed)
        assert Response.objects.filter(status="sent").count() == WARM + TIMED
    tenancy.reset_to_public()
    server.shutdown()
    assert StandIn.received == WARM + TIMED, StandIn.received
    times.sort()
    med = statistics.median(times)
    rows = [
        (
            "reply send through X API v2 (local stand-in): p95 (median)",
            f"{p95(times):.1f} ms ({med:.1f} ms)",
            f"< {TARGET_MS} ms",
        ),
        ("reply send: p99, slowest", f"{p99(times):.1f} ms, {times[-1]:.1f} ms", ""),
        ("requests that reached the stand-in", f"{StandIn.received} of {WARM + TIMED}", "one each"),
    ]
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    body = f"""{machine_line()}; `bin/bench replies`.

| figure | value | target |
|---|---|---|
{table}

A send is the whole `response_send` ({TIMED} timed after {WARM} warm-up sends, one brand, one
incident, each reply to a thread of its own): the claim of the thread's slot committed on its
own, the source's credentials decrypted, one POST /2/tweets on a new connection to a stand-in
HTTP server in the bench process answering X's recorded 201, then the row marked sent with
its timeline row and audit event. The platform's own time is not in it: X's answer takes what
it takes, and adds to this.
"""
    update_results("Replies", body)
    print(f"reply_p95_ms={p95(times):.1f}")


if __name__ == "__main__":
    main()
