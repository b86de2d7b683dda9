"""Benchmark: onboarding a brand, and migrate_schemas over 100 brands.

    bin/bench onboarding        (or: .venv/bin/python bench/onboarding.py)

Runs against its own database (`<DATABASE_URL name>_bench`, dropped and created anew), with the
production code: `client_onboard` (clone of the template schema, domain, defaults, audit, one
transaction) and the `migrate_schemas` command. Figures:
- onboarding: median and p95 wall time per brand over the first 20 brands (target: < 0.5 s);
- migrate_schemas over 100 brands (+ the template): with nothing to apply (the check every deploy
  pays), and re-applying a real migration (monitoring.0001) in every schema.
Updates the "Onboarding" section of bench/RESULTS.md; the last line printed is key=value.
"""

from __future__ import annotations

import io
import statistics

from common import machine_line, setup_django, timed, update_results

TIMED_BRANDS = 20
TOTAL_BRANDS = 100


def main() -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from clients.services import client_onboard

    quiet = io.StringIO()

    def onboard_in_fresh_session(i: int) -> None:
        # As a web request with CONN_MAX_AGE=0: its own database session, connect included. In
        # one long session each clone gets slower (PostgreSQL's per-session catalog caches grow
        # with every schema created); see RESULTS.md.
        connection.close()
        client_onboard(name=f"Bench Brand {i}", slug=f"bench-{i:03d}")

    times = [timed(onboard_in_fresh_session, i) for i in range(TOTAL_BRANDS)]
    first = sorted(times[:TIMED_BRANDS])
    median = statistics.median(first)
    p95 = first[int(0.95 * (len(first) - 1))]
    median_all = statistics.median(times)

    def migrate(*args: str) -> None:
        call_command("migrate_schemas", *args, tenant=True, verbosity=0, stdout=quiet)

    migrate_noop = timed(migrate)
    migrate("monitoring", "zero")
    migrate_apply = timed(migrate)
    # After the migrations, so they ran over exactly 100 brands: the same work in one long
    # session, as a script onboarding many brands in a loop would do it.
    long_session = [
        timed(client_onboard, name=f"Loop Brand {i}", slug=f"loop-{i:03d}")
        for i in range(TIMED_BRANDS)
    ]

    figures = {
        "onboard_median_s": round(median, 3),
        "onboard_p95_s": round(p95, 3),
        "onboard_median_100_s": round(median_all, 3),
        "onboard_one_session_first_s": round(long_session[0], 3),
        "onboard_one_session_last_s": round(long_session[-1], 3),
        "migrate_100_noop_s": round(migrate_noop, 2),
        "migrate_100_apply_s": round(migrate_apply, 2),
    }
    update_results(
        "Onboarding",
        f"""{machine_line()}; `bin/bench onboarding`.

| figure | value | target |
|---|---|---|
| onboarding, median over the first {TIMED_BRANDS} brands | {median:.3f} s | < 0.5 s |
| onboarding, p95 over the first {TIMED_BRANDS} brands | {p95:.3f} s | |
| onboarding, median over all {TOTAL_BRANDS} brands | {median_all:.3f} s | |
| {TIMED_BRANDS} more brands in one database session: first, last \
| {long_session[0]:.3f} s, {long_session[-1]:.3f} s | |
| `migrate_schemas --tenant`, {TOTAL_BRANDS} brands + template, nothing to apply \
| {migrate_noop:.2f} s | |
| `migrate_schemas --tenant`, {TOTAL_BRANDS} brands + template, re-applying \
monitoring.0001 \
| {migrate_apply:.2f} s | |

Onboarding clones the template schema (`TENANT_BASE_SCHEMA`) and fakes its migrations
(`TENANT_CREATION_FAKES_MIGRATIONS`), then adds the domain, the defaults and the audit row in the
same transaction. Each timed onboarding runs in a database session of its own, as a web request
does with `CONN_MAX_AGE=0`. In one long session every clone is slower than the one before
(PostgreSQL's per-session catalog caches grow with each schema created, and `SET search_path`
gets slower with them): the "one database session" row shows it. Onboarding many brands from a
script should therefore close the connection between brands.
""",
    )
    connection.close()
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
