"""bench/web.py --accounts N: the pages of an organization run over N accounts, on PostgreSQL.

    .venv/bin/python bench/web.py --database-url postgres://securescope:...@127.0.0.1:5432/bench \
        --accounts 20 --findings-per-account 100000 --mutes-per-account 50

Writes, with bench/web.py's COPY generator, one finished scan of `--findings-per-account`
findings for each of N accounts, all members of one organization run (2,000,000 findings for
20 x 100,000), and `--mutes-per-account` active mutes of failing findings in each account (the
roll-up subtracts what they cover). Then times, through Django's test client, signed in: the
organization overview (heat map, trends, muted counts), one account's findings page (grouped by
rule, the default) and the run's JSON roll-up export; and streams one account's JSON export in
a fresh process (rendered, then again from its snapshot). Prints median and p95 server time.
"""

import os
import time
from datetime import timedelta

from web import (
    create_bench_scan,
    signed_in_client,
    time_export,
    time_variants,
)

BENCH_ORGANIZATION_HASH = "benchorg" + "0" * 56


def account_hash_of(index: int) -> str:
    return f"benchorg{index:04d}".ljust(64, "0")


def create_organization(accounts: int, findings: int, mutes: int):
    """An organization run whose N member scans hold `findings` findings each, with `mutes`
    active fingerprint mutes per account."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from findings.models import Finding, Mute
    from scans.models import OrganizationRun, Scan

    Scan.objects.filter(account_hash__startswith="benchorg").delete()
    OrganizationRun.objects.filter(account_hash=BENCH_ORGANIZATION_HASH).delete()
    Mute.objects.filter(account_hash__startswith="benchorg").delete()
    run = OrganizationRun.objects.create(
        account_hash=BENCH_ORGANIZATION_HASH,
        account_label="****ORG0",
        role_name="OrganizationAccountAccessRole",
        regions=["us-east-1", "eu-west-1", "us-west-2"],
        members_total=accounts,
        members_done=accounts,
    )
    owner, _ = get_user_model().objects.get_or_create(username="bench")
    expires = timezone.now() + timedelta(days=30)
    for index in range(accounts):
        started = time.perf_counter()
        account_hash = account_hash_of(index)
        scan = create_bench_scan(
            findings,
            account_hash=account_hash,
            account_label=f"****{index:04d}",
            organization_run=run,
        )
        failing = Finding.objects.filter(scan=scan, status=Finding.Status.FAIL).values_list(
            "rule_id", "fingerprint"
        )[:mutes]
        Mute.objects.bulk_create(
            Mute(
                account_hash=account_hash,
                account_label=scan.account_label,
                rule_id=rule_id,
                fingerprint=fingerprint,
                justification="bench",
                owner=owner,
                expires_at=expires,
            )
            for rule_id, fingerprint in failing
        )
        print(
            f"account {index + 1} of {accounts}: {findings:,} findings, {len(failing)} mutes "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    return run


def organization_bench(args) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse

    from scans.models import OrganizationRun
    from securescope.heap import startup_heap_freeze

    call_command("migrate", verbosity=0)
    if args.reuse:
        run = OrganizationRun.objects.get(account_hash=BENCH_ORGANIZATION_HASH)
    else:
        started = time.perf_counter()
        run = create_organization(args.accounts, args.findings_per_account, args.mutes_per_account)
        total = args.accounts * args.findings_per_account
        print(f"generated {total:,} findings in {time.perf_counter() - started:.1f} s")
        if not args.no_vacuum:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE findings_finding")
    client = signed_in_client()
    startup_heap_freeze()
    member = run.scans.order_by("account_label").first()
    print(
        f"\n{run.scans.count()} accounts x {args.findings_per_account:,} findings, "
        f"{args.mutes_per_account} mutes per account, {args.requests} requests each"
    )
    pages = [
        ("organization overview", reverse("organizations:detail", args=[run.id])),
        ("an account's findings (grouped by rule)", reverse("findings:table", args=[member.id])),
        (
            "organization roll-up export (JSON)",
            reverse("organizations:export", args=[run.id, "json"]),
        ),
    ]
    print("| request | median ms | p95 ms |\n|---|---|---|")
    for name, url in pages:
        time_variants(client, url, {name: {}}, args.requests, header=False)
    if not args.skip_exports:
        print("\nan account's JSON export, streamed in a fresh process")
        print("| download | seconds | MiB written | peak RSS MiB |\n|---|---|---|---|")
        for attempt in ("rendered", "again (snapshot)"):
            seconds, written, peak = time_export(args.database_url, str(member.id), "json")
            print(f"| {attempt} | {seconds:.2f} | {written / 2**20:.1f} | {peak:.0f} |", flush=True)
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nload average after: {load}")
    return 0
