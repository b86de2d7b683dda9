"""Benchmark: the 24/7 watch: the roster's reads, a mention's way to a page, escalation steps.

    bin/bench watch        (or: .venv/bin/python bench/watch.py)

Runs against its own database (`<DATABASE_URL name>_bench`, dropped and created anew) and the
bench's Redis databases (bench/common.py), with the production code throughout.

1. The roster's reads (agency.roster over agency.shifts). The roster: 500 brands, 20 schedules
   of 25 brands each (a weekday day layer of 4 people from 08:00 to 20:00 in the schedule's
   zone, a backup layer of 2), one night desk covering every brand (a 12-hour rotation of 6),
   60 overrides and 30 people on leave over the next weeks. The reads never open a brand's
   schema, so these brands are rows of the public schema without schemas of their own
   (onboarding 500 would only slow the set-up; bench/onboarding.py measures that). Figures
   (targets): who is on duty for every one of 500 brands now (< 50 ms); the coverage board of
   200 brands over 14 days, brand by hour (< 300 ms); medians and p95 of repeated runs.
2. A mention's arrival to its first page at the provider, with the real worker and broker.
   31 brands prepared as bench/detection.py's (three days of quiet history learnt by their
   detectors), then per brand one burst of ten angry posts, two of them by accounts of a large
   reach: a crisis. Each brand has a schedule of its own (one person on duty around the clock,
   one backup), whose people's one verified contact method is an apprise URL (json://) that
   posts to a small HTTP server in this process: the provider, which notes when each page
   arrives. A Celery worker process on the Redis broker (beat off) does the rest: processing,
   detection, the alert, routing, the escalation's first step (its outbox row), the send. The
   time from the burst's `received_at` (as bench/detection.py) to the provider receiving the
   first page, over 30 waves (the first brand's wave warms the worker up and is shown on its
   own). Target: p99 < 2 s. Also, from the outbox row: arrival to handed to the provider
   (`sending_at`), and where the time goes.
3. Escalation step lateness. Each of those brands' policy: the person on duty, the backup, the
   person on duty again, 1 minute apart, no repeat; so the 31 escalations of part 2 run side
   by side on the worker for two more minutes, their steps asked by task ETAs (the auditor,
   `escalations_audit`, runs from beat, which is off: what is measured is the ETA path alone).
   Lateness = ran - due of every step after the first, from Escalation.runs. Target: p99 < 5 s.
   Then a storm: 30 more brands (new ones, where one negative post of a large reach alerts)
   hit within a fraction of a second, so that their processing, pages and steps all fall due
   at once on the one worker process: their first pages and step lateness are shown beside.
Updates the "Watch" section of bench/RESULTS.md; the last line printed is key=value.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from common import (
    ROOT,
    bench_redis_urls,
    machine_line,
    p95,
    p99,
    prepare_brand,
    setup_django,
    trigger,
    update_results,
    worker_command,
)

BRANDS = 500
BOARD_BRANDS = 200
SCHEDULES = 20
RUNS, BOARD_RUNS = 50, 10
ZONES = ["Europe/Amsterdam", "Europe/Stockholm", "Europe/London", "America/New_York"]
WAVES = 30
STORM = 30
MULTIPLIERS = 2  # of the ten angry posters, accounts of a large reach: a crisis
WAIT_MINUTES = 1
STEPS = ("on_duty", "backup", "on_duty")
PAGE_SUBJECTS = ("[CRISIS]", "[ISSUE]", "[WATCH]")
WORKER_LOG = ROOT / "var" / "bench-watch-worker.log"


def timed_ms(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    fn()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


# --- 1. The roster's reads ----------------------------------------------------------------------


def roster_reads() -> tuple[dict[str, float], list[tuple[str, str, str]]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from agency.models import AGENCY_ROLES, Membership, Role, ShiftRole, User
    from agency.roster import (
        coverage_board,
        leave_add,
        on_duty_for_brands,
        schedule_create,
        schedule_layer_add,
        schedule_override_add,
    )
    from clients.models import Client, Domain

    assert Role.AGENCY_STAFF in AGENCY_ROLES
    Client.auto_create_schema = False  # rows only: see the module docstring
    try:
        brands = Client.objects.bulk_create(
            Client(schema_name=f"brand_w{n:03d}", name=f"Watch Brand {n:03d}", slug=f"w{n:03d}")
            for n in range(BRANDS)
        )
    finally:
        Client.auto_create_schema = True
    Domain.objects.bulk_create(
        Domain(domain=Client.host_for(b.slug), tenant=b, is_primary=True) for b in brands
    )
    admin = User.objects.create_user("admin@bench.test", None)
    Membership.objects.create(user=admin, role=Role.AGENCY_ADMIN)
    people = []
    for n in range(60):
        person = User.objects.create_user(f"person{n}@bench.test", None)
        Membership.objects.create(user=person, role=Role.AGENCY_STAFF, client=brands[n])
        people.append(person)
    weekdays = [{"weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "20:00"}]
    for n in range(SCHEDULES):
        schedule = schedule_create(
            name=f"Desk {n}",
            timezone_name=ZONES[n % len(ZONES)],
            brands=brands[n * 25 : (n + 1) * 25],
            acting_user=None,
        )
        crew = people[(n * 3) % 54 : (n * 3) % 54 + 6]
        schedule_layer_add(
            schedule=schedule,
            people=crew[:4],
            starts_on=date(2026, 1, 5),
            hand_off=clock(8),
            windows=weekdays,
            priority=1,
            acting_user=None,
        )
        schedule_layer_add(
            schedule=schedule,
            people=crew[4:],
            role=ShiftRole.BACKUP,
            starts_on=date(2026, 1, 5),
            hand_off=clock(8),
            shift_hours=7 * 24,
            acting_user=None,
        )
    night = schedule_create(name="Night desk", covers_all=True, acting_user=None)
    schedule_layer_add(
        schedule=night,
        people=people[54:60],
        starts_on=date(2026, 1, 5),
        hand_off=clock(20),
        shift_hours=12,
        acting_user=None,
    )
    now = timezone.now()
    for n in range(60):
        start = now + timedelta(hours=7 * n)
        schedule_override_add(
            schedule=night if n % 3 == 0 else schedule,
            user=people[n],
            start=start,
            end=start + timedelta(hours=6),
            acting_user=None,
        )
    for n in range(30):
        start = now + timedelta(days=n % 10)
        leave_add(user=people[n * 2], start=start, end=start + timedelta(days=3), acting_user=None)

    clients = list(Client.objects.brands())
    on_duty = timed_ms(lambda: on_duty_for_brands(clients=clients), RUNS)
    covered = sum(1 for cover, _ in on_duty_for_brands(clients=clients).values() if cover.primary)
    board_clients = clients[:BOARD_BRANDS]
    board = timed_ms(lambda: coverage_board(clients=board_clients), BOARD_RUNS)
    with CaptureQueriesContext(connection) as captured:
        coverage_board(clients=board_clients)
    board_queries = len(captured)
    with CaptureQueriesContext(connection) as captured:
        on_duty_for_brands(clients=clients)
    duty_queries = len(captured)

    figures = {
        "on_duty_500_ms": round(statistics.median(on_duty), 1),
        "coverage_board_ms": round(statistics.median(board), 1),
    }
    rows = [
        (
            f"who is on duty for every one of {len(clients)} brands now: median (p95)",
            f"{figures['on_duty_500_ms']} ms ({p95(on_duty):.1f} ms)",
            "< 50 ms",
        ),
        (
            f"coverage board, {BOARD_BRANDS} brands x 14 days by hour: median (p95)",
            f"{figures['coverage_board_ms']} ms ({p95(board):.1f} ms)",
            "< 300 ms",
        ),
        ("queries: on duty, coverage board", f"{duty_queries}, {board_queries}", ""),
        ("brands with someone on duty during the run", f"{covered} of {len(clients)}", ""),
    ]
    return figures, rows


# --- 2 and 3. Pages and escalation steps ----------------------------------------------------------


class Provider:
    """The pages' provider, on loopback: apprise's json:// posts here, and each arrival is noted
    (path, moment, title) as the request comes in."""

    def __init__(self) -> None:
        self.received: list[tuple[str, float, str]] = []
        lock = self.lock = threading.Lock()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                arrived = time.time()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    title = str(json.loads(body or b"{}").get("title", ""))
                except ValueError:
                    title = ""
                with lock:
                    received.append((self.path, arrived, title))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, user_id: int) -> str:
        return f"json://127.0.0.1:{self.port}/page/{user_id}"

    def pages(self, user_id: int) -> list[float]:
        """When the pages (alert messages, not roster notices) to this person arrived."""
        path = f"/page/{user_id}"
        with self.lock:
            return [
                at
                for p, at, title in self.received
                if p == path and title.startswith(PAGE_SUBJECTS)
            ]


@dataclass
class Watched:
    client: Any
    source: Any
    on_duty: Any
    backup: Any
    quiet: bool
    multipliers: int = 0
    burst_at: float = 0.0  # the burst's received_at (epoch seconds)


def watched_brand(
    n: int, provider: Provider, *, prefix: str, quiet: bool, multipliers: int = 0
) -> Watched:
    """A brand as bench/detection.py prepares it, with a schedule of its own (one person on duty
    around the clock, one backup) whose people are paged through `provider`, and a policy of
    three steps a minute apart."""
    from django.db import connection
    from django.utils import timezone

    from agency.models import ContactMethod, Membership, Role, ShiftRole, User
    from agency.notifications import contact_method_add
    from agency.roster import schedule_create, schedule_layer_add
    from clients import tenancy
    from monitoring.services.escalation import escalation_policy_update

    # A session's catalog caches grow with each schema it creates, and each clone gets slower
    # (bench/RESULTS.md, Onboarding): one session per brand, as a request has.
    connection.close()
    client, source = prepare_brand(f"{prefix}{n}", quiet_history=quiet)
    with tenancy.tenant_context(client):
        escalation_policy_update(
            client=client,
            acting_user=None,
            steps=[(target, WAIT_MINUTES) for target in STEPS],
            repeat=0,
            watch_waits_for_morning=False,
        )
    people = []
    for role in ("duty", "backup"):
        person = User.objects.create_user(f"{role}-{prefix}{n}@bench.test", None, language="en")
        Membership.objects.create(user=person, role=Role.AGENCY_STAFF, client=client)
        people.append(person)
    schedule = schedule_create(
        name=f"Desk {prefix}{n}", timezone_name="UTC", brands=[client], acting_user=None
    )
    yesterday = timezone.now().date() - timedelta(days=1)
    for person, role in zip(people, (ShiftRole.PRIMARY, ShiftRole.BACKUP), strict=True):
        schedule_layer_add(
            schedule=schedule,
            people=[person],
            role=role,
            starts_on=yesterday,
            hand_off=clock(0),
            acting_user=None,
        )
        method = contact_method_add(user=person, kind="apprise", target=provider.url(person.pk))
        ContactMethod.objects.filter(pk=method.pk).update(verified_at=timezone.now())
    return Watched(client, source, people[0], people[1], quiet, multipliers)


def outbox_drained(deadline_s: float) -> None:
    """Wait until the worker sent what the set-up queued (the roster's notices of changes)."""
    from agency.models import Notification, NotificationStatus

    deadline = time.monotonic() + deadline_s
    while Notification.objects.filter(
        status__in=[NotificationStatus.PENDING, NotificationStatus.SENDING]
    ).exists():
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not send the set-up's notices in time")
        time.sleep(0.2)


def burst(brand: Watched, n: int) -> None:
    from clients import tenancy
    from monitoring.models import Mention

    ids = trigger(brand.client, brand.source, n, brand.quiet, brand.multipliers)
    with tenancy.tenant_context(brand.client):
        received = Mention.objects.get(pk=ids[0]).received_at
    brand.burst_at = received.timestamp()


def first_page(brand: Watched, provider: Provider, deadline_s: float) -> float:
    deadline = time.monotonic() + deadline_s
    while not (pages := provider.pages(brand.on_duty.pk)):
        if time.monotonic() > deadline:
            raise SystemExit(f"no page for brand {brand.client.slug} in {deadline_s:.0f} s")
        time.sleep(0.01)
    return pages[0] - brand.burst_at


def milestones(brand: Watched) -> tuple[float, float, float]:
    """Seconds from the burst's arrival to its alert (`opened_at`), to the first step's run,
    and to the first page's outbox row handed to the provider (`sending_at`)."""
    from agency.models import Notification, NotificationTopic
    from clients import tenancy
    from monitoring.models import Alert, Escalation

    with tenancy.tenant_context(brand.client):
        opened = Alert.objects.values_list("opened_at", flat=True).get()
        runs = Escalation.objects.order_by("started_at").values_list("runs", flat=True).first()
    assert runs, brand.client.slug
    sent = (
        Notification.objects.filter(
            client=brand.client, topic=NotificationTopic.ALERT, sending_at__isnull=False
        )
        .order_by("sending_at")
        .values_list("sending_at", flat=True)
        .first()
    )
    assert sent is not None, brand.client.slug
    ran = datetime.fromisoformat(runs[0]["ran"])
    return (
        opened.timestamp() - brand.burst_at,
        ran.timestamp() - brand.burst_at,
        sent.timestamp() - brand.burst_at,
    )


@dataclass
class Steps:
    late: list[float]  # ran - due, every step after the first
    paged: list[float]  # the page's arrival at the provider - due, every step after the first
    escalations: int
    exhausted: int
    levels: dict[str, int]


def escalations_done(brands: list[Watched], deadline_s: float) -> None:
    from clients import tenancy
    from monitoring.models import Escalation, EscalationState

    deadline = time.monotonic() + deadline_s
    pending = list(brands)
    while pending:
        if time.monotonic() > deadline:
            raise SystemExit(f"{len(pending)} escalations still running after {deadline_s:.0f} s")
        time.sleep(2)
        still = []
        for brand in pending:
            with tenancy.tenant_context(brand.client):
                live = Escalation.objects.filter(
                    state__in=[EscalationState.ACTIVE, EscalationState.WAITING]
                ).exists()
            if live:
                still.append(brand)
        pending = still


def step_figures(brands: list[Watched], provider: Provider) -> Steps:
    from clients import tenancy
    from monitoring.models import Escalation, EscalationState

    late, paged = [], []
    escalations = exhausted = 0
    levels: dict[str, int] = {}
    for brand in brands:
        with tenancy.tenant_context(brand.client):
            rows = list(Escalation.objects.order_by("started_at"))
        # The people each step paged, in order (on duty, backup, on duty): their pages' arrivals.
        arrivals = {
            brand.on_duty.pk: provider.pages(brand.on_duty.pk),
            brand.backup.pk: provider.pages(brand.backup.pk),
        }
        for escalation in rows:
            escalations += 1
            exhausted += escalation.state == EscalationState.EXHAUSTED
            levels[escalation.level] = levels.get(escalation.level, 0) + 1
            for position, run in enumerate(escalation.runs):
                due = datetime.fromisoformat(run["due"]).timestamp()
                ran = datetime.fromisoformat(run["ran"]).timestamp()
                if position == 0:
                    continue  # due when the alert was routed: part of the page's time
                late.append(ran - due)
                person = brand.backup if STEPS[run["step"]] == "backup" else brand.on_duty
                after = [at for at in arrivals[person.pk] if at >= ran - 0.001]
                if after:
                    paged.append(after[0] - due)
    return Steps(sorted(late), sorted(paged), escalations, exhausted, levels)


def phase(name: str, since: float) -> float:
    now = time.monotonic()
    print(f"watch: {name} in {now - since:.1f} s", flush=True)
    return now


def pages_and_steps(provider: Provider) -> dict[str, Any]:
    from django.conf import settings

    at = time.monotonic()
    # The first brand warms the worker up (lexicons, apprise): its wave is shown on its own.
    waves = [
        watched_brand(n, provider, prefix="pg", quiet=True, multipliers=MULTIPLIERS)
        for n in range(WAVES + 1)
    ]
    at = phase(f"{len(waves)} brands with quiet history prepared", at)
    storm = [watched_brand(n, provider, prefix="st", quiet=False) for n in range(STORM)]
    at = phase(f"{len(storm)} storm brands prepared", at)
    WORKER_LOG.parent.mkdir(exist_ok=True)
    worker = subprocess.Popen(
        worker_command(ROOT / ".venv" / "bin"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=WORKER_LOG.open("w"),
    )
    # And the pages' own worker (steps and sends), as bin/demo and production run one.
    pages_worker = subprocess.Popen(
        [*worker_command(ROOT / ".venv" / "bin"), "-Q", "pages", "-n", "pages@%h"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=WORKER_LOG.with_name("bench-watch-pages-worker.log").open("w"),
    )
    try:
        time.sleep(4)  # the worker connects to the broker
        outbox_drained(120)
        at = phase("worker started, the set-up's notices sent", at)
        started = time.monotonic()
        page, parts = [], []
        for n, brand in enumerate(waves):
            burst(brand, n)
            page.append(first_page(brand, provider, 15))
            parts.append(milestones(brand))
            time.sleep(0.3)
        print("watch: arrival to page, wave by wave:", " ".join(f"{s:.3f}" for s in page))
        at = phase(f"{len(waves)} waves", at)
        # The storm: every brand one after the other, then their first pages.
        storm_started = time.monotonic()
        for n, brand in enumerate(storm):
            burst(brand, 1000 + n)
        storm_spread = time.monotonic() - storm_started
        storm_page = [first_page(brand, provider, 60) for brand in storm]
        at = phase("the storm's first pages", at)
        escalations_done(waves + storm, 2 * WAIT_MINUTES * 60 + 60)
        at = phase("every escalation ran to its end", at)
        elapsed = time.monotonic() - started
    finally:
        for process in (worker, pages_worker):
            process.terminate()
            process.wait(20)
    assert bench_redis_urls()[1] == settings.CELERY_BROKER_URL
    return {
        "cold": page[0],
        "page": sorted(page[1:]),
        "parts": parts[1:],
        "storm_page": sorted(storm_page),
        "steps": step_figures(waves, provider),
        "storm_steps": step_figures(storm, provider),
        "storm_spread_s": storm_spread,
        "elapsed_s": elapsed,
    }


def main() -> None:
    at = time.monotonic()
    setup_django()
    provider = Provider()
    figures, rows = roster_reads()
    phase("roster set up and read", at)
    found = pages_and_steps(provider)
    page, storm_page, parts = found["page"], found["storm_page"], found["parts"]
    steps, storm_steps = found["steps"], found["storm_steps"]
    opened, ran, handed = (sorted(column) for column in zip(*parts, strict=True))

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.3f} s, {p99(values):.3f} s, {values[-1]:.3f} s"

    figures = {
        "page_p99_s": round(p99(page), 3),
        "step_late_p99_s": round(p99(steps.late), 3),
        **figures,
    }
    table = [
        (
            f"**arrival to the first page at the provider**, {len(page)} waves: p50, p99, slowest",
            spread(page),
            "p99 < 2 s",
        ),
        (
            "arrival to the page handed to the provider (`sending_at`): p50, p99, slowest",
            spread(handed),
            "",
        ),
        (
            "where the time goes, medians: arrival to the alert; to the first step's run; "
            "to `sending_at`; to the provider",
            f"{statistics.median(opened):.3f} s; {statistics.median(ran):.3f} s; "
            f"{statistics.median(handed):.3f} s; {statistics.median(page):.3f} s",
            "",
        ),
        (
            "the worker's first wave after its start (not in the figures above)",
            f"{found['cold']:.3f} s",
            "",
        ),
        (
            f"**escalation step lateness** (ran - due), {len(steps.late)} steps after the "
            f"first of {steps.escalations} escalations: p50, p99, max",
            spread(steps.late),
            "p99 < 5 s",
        ),
        (
            "a step's due time to its page at the provider: p50, p99, slowest",
            spread(steps.paged),
            "",
        ),
        (
            f"storm, {len(storm_page)} brands hit within {found['storm_spread_s']:.1f} s: "
            "arrival to the first page, p50, p99, slowest",
            spread(storm_page),
            "",
        ),
        (
            f"storm: step lateness over {len(storm_steps.late)} steps, p50, p99, max",
            spread(storm_steps.late),
            "",
        ),
        *rows,
    ]
    lines = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in table)
    levels = ", ".join(f"{n} {level}" for level, n in sorted(steps.levels.items()))
    storm_levels = ", ".join(f"{n} {level}" for level, n in sorted(storm_steps.levels.items()))
    body = f"""{machine_line()}; `bin/bench watch`.

| figure | value | target |
|---|---|---|
{lines}

Pages: {WAVES + 1} brands prepared as in `bin/bench detection` (three days of quiet history),
then a burst of ten angry posts, {MULTIPLIERS} of them by accounts of a large reach
(escalations: {levels}). Each brand has a schedule of its own (one person on duty around the
clock, one backup); their one verified contact method is an apprise json:// URL posting to an
HTTP server in the bench process, which notes each page's arrival. Two Celery worker processes
(solo pool) on the Redis broker, beat off: one for everything, and the pages' own (`-Q pages`:
escalation steps and sends, as bin/demo runs it); one burst at a time, the next 0.3 s
after its page; the first brand's wave warms the worker up and is shown on its own. A page's
time runs from the burst's `received_at` (as in the detection bench) to the provider
receiving the first alert message; `sending_at` is the outbox row's hand-over to apprise.

Steps: each brand's policy is on duty, backup, on duty, {WAIT_MINUTES} minute apart, no
repeat; the {steps.escalations} escalations ({steps.exhausted} ran to their end) overlap on the
worker, their later steps asked by task ETAs; lateness is ran - due of each step after the
first, from Escalation.runs. The auditor (`escalations_audit`, from beat every 15 s) was not
running: the ETA path alone is measured. The storm: {STORM} new brands ({storm_levels}; one
negative post of a large reach each) hit one after the other as fast as ingestion goes, so
that their processing, first pages and then steps fall due together. The main worker runs the
brands' processing in the order it was queued (about 45 ms a brand); each brand's steps and
sends go to the pages' worker as soon as its alert is raised, so a page waits for its own
brand's processing and not for the others' (on one worker for everything, every page of the
storm waited for all 30 brands' processing: 3.5-5 s). Pages, steps and storm took
{found["elapsed_s"]:.0f} s.

Roster: {SCHEDULES} schedules of 25 brands (a weekday day layer of 4, a backup layer of 2), a
night desk over every brand (12-hour shifts of 6), 60 overrides and 30 people on leave. Both
reads are the roster's rows in the public schema and the shift arithmetic (agency.shifts); no
brand schema is opened. The brands of the pages and the storm are onboarded after these reads.
"""
    update_results("Watch", body)
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
