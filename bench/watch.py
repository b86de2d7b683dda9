"""Benchmark: the 24/7 watch's reads of the roster.

    bin/bench watch        (or: .venv/bin/python bench/watch.py)

Runs against its own database (`<DATABASE_URL name>_bench`, dropped and created anew) with the
production code (agency.roster over agency.shifts). The roster: 500 brands, 20 schedules of 25
brands each (a weekday day layer of 4 people from 08:00 to 20:00 in the schedule's zone, a
backup layer of 2), one night desk covering every brand (a 12-hour rotation of 6), 60
overrides and 30 people on leave over the next weeks. The reads never open a brand's schema, so
the brands are rows of the public schema without schemas of their own (onboarding 500 would
only slow the set-up; bench/onboarding.py measures that).

Figures (targets): who is on duty for every one of 500 brands now (< 50 ms); the coverage
board of 200 brands over 14 days, brand by hour (< 300 ms); medians and p95 of repeated runs.
Still to come with the escalation and the outbox (issue 13): a mention's arrival to the first
page handed to a provider, and escalation step lateness.
Updates the "Watch" section of bench/RESULTS.md; the last line printed is key=value.
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta
from datetime import time as clock

from common import machine_line, p95, setup_django, update_results

BRANDS = 500
BOARD_BRANDS = 200
SCHEDULES = 20
RUNS, BOARD_RUNS = 50, 10
ZONES = ["Europe/Amsterdam", "Europe/Stockholm", "Europe/London", "America/New_York"]


def main() -> None:
    setup_django()
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
    brands = Client.objects.bulk_create(
        Client(schema_name=f"brand_w{n:03d}", name=f"Watch Brand {n:03d}", slug=f"w{n:03d}")
        for n in range(BRANDS)
    )
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

    def timed_ms(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
        fn()  # warm
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        return sorted(times)

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
    table = "\n".join(
        f"| {a} | {b} | {c} |"
        for a, b, c in [
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
    )
    body = f"""{machine_line()}; `bin/bench watch`.

| figure | value | target |
|---|---|---|
{table}

{SCHEDULES} schedules of 25 brands (a weekday day layer of 4, a backup layer of 2), a night
desk over every brand (12-hour shifts of 6), 60 overrides and 30 people on leave. Both reads
are the roster's rows in the public schema and the shift arithmetic (agency.shifts); no brand
schema is opened. Still to come (issue 13): the page's way from a mention to a provider, and
escalation step lateness.
"""
    update_results("Watch", body)
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
