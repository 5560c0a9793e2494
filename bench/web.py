"""The findings pages, the overview and the exports of a scan with 200,000 findings, on
PostgreSQL.

    .venv/bin/python bench/web.py --database-url postgres://securescope:...@127.0.0.1:5432/bench

Writes synthetic scans of one account straight into the database with COPY (20,000 findings,
then two of 200,000: the previous scan and the latest, which differ in 5% of their statuses),
over the catalog's real rules, 6 regions and the three statuses, each resource failing or
passing several rules; each scan is then closed as its last unit would close it (counts and
tallies stored). It times 100 requests to each variant of the findings page of the latest
scan (/findings/scan/<uuid>/: grouped by rule, the flat list, the resource view, a rule
unfolded, a title search, "new since the previous scan", a deep keyset page, and the old
filters), and to the overview, through Django's test client, signed in, and prints median and
p95. Then the same scan as while it runs (its tallies removed): polled between two units'
ends, and with a unit ending before each request. Each export format of the 20,000 and the
latest scan is streamed through its view to /dev/null in a fresh process, whose wall time and
peak resident memory are reported: streaming keeps memory flat as findings grow. Each is
downloaded twice: a finished scan's export is rendered once into its snapshot, and the second
download streams that file.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_ACCOUNT_HASH = "bench" + "0" * 59
REGIONS = ["us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-2", "ca-central-1"]
STATUSES = ["FAIL", "PASS", "PASS", "NOT_EVALUATED"]
# Findings in a block share their resources: each (resource type, region) is one resource that
# several rules judge. Each rule meets each region once in (rules x regions) findings, more than
# 426 for any catalog of 71 rules or more, so no rule sees a resource twice.
RESOURCE_BLOCK = 426
SEARCH = "security group"
# Keyset pages deep into the list: the cursor of the row before them is worked out once.
DEEP_FAILING_ROW = 39_900
DEEP_ANY_ROW = 99_900
PAGE_VARIANTS = {
    "grouped by rule (the default)": {},
    "grouped, title search": {"q": SEARCH},
    "grouped, new since previous": {"change": "new"},
    "flat": {"view": "flat"},
    "flat, title search": {"view": "flat", "q": SEARCH},
    "flat, new since previous": {"view": "flat", "change": "new"},
    "flat, page 400 (keyset)": {"view": "flat", "page": "400"},
    "flat, any status, page 1,000 (keyset)": {"view": "flat", "status": "", "page": "1000"},
    "resources": {"view": "resources"},
    "resources, page 20": {"view": "resources", "page": "20"},
    "flat, severity=high, any status": {"view": "flat", "status": "", "severity": "high"},
    "flat, severity=critical": {"view": "flat", "severity": "critical"},
}
LIVE_VARIANTS = ("grouped by rule (the default)", "flat", "flat, title search")


def setup_django(database_url: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="securescope.settings",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.conf import settings

    # Whole pages (the overview) name static files; the manifest needs a collectstatic run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def create_bench_scan(
    findings: int,
    *,
    changed_every: int = 0,
    account_hash: str = BENCH_ACCOUNT_HASH,
    account_label: str = "****BNCH",
    organization_run=None,
):
    """A finished scan with `findings` findings, written with COPY in seconds, then closed.

    Resources are the same in every scan of an account; `changed_every` shifts the status of
    every n-th finding, so that a later scan has findings new since this one."""
    from django.db import connection, transaction

    from findings.columns import STORED_COLUMNS
    from findings.services import finding_fingerprint
    from rules.loading import load_catalog
    from scans.lifecycle.services import scan_finalize_if_complete
    from scans.models import Scan, ScanRegion

    rules = sorted(load_catalog().rules, key=lambda rule: rule.id)
    scan = Scan.objects.create(
        account_hash=account_hash,
        account_label=account_label,
        status=Scan.Status.RUNNING,
        regions=REGIONS,
        organization_run=organization_run,
    )
    columns = ", ".join(STORED_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY findings_finding ({columns}) FROM STDIN") as copy:
            for index in range(findings):
                rule = rules[index % len(rules)]
                region = REGIONS[index // len(rules) % len(REGIONS)]
                shift = 1 if changed_every and index % changed_every == 0 else 0
                status = STATUSES[(index + shift) % len(STATUSES)]
                block = index // RESOURCE_BLOCK
                resource = hashlib.sha256(
                    f"{account_hash}|{rule.resource_type}|{region}|{block}".encode()
                ).hexdigest()
                fingerprint = finding_fingerprint(
                    rule_id=rule.id, resource_hash=resource, region=region
                )
                evidence = {"open_ports": [22, 443], "cidr": "0.0.0.0/0", "index": index % 97}
                copy.write_row(
                    (
                        scan.id,
                        rule.id,
                        rule.title,
                        rule.service,
                        rule.severity,
                        status,
                        region,
                        rule.resource_type,
                        resource,
                        json.dumps(evidence),
                        json.dumps(rule.compliance),
                        fingerprint,
                    )
                )
        # What autovacuum would do soon after a real scan: the planner needs the new rows' stats.
        cursor.execute("ANALYZE findings_finding")
    # As the scan's last unit would: counts and tallies stored.
    ScanRegion.objects.create(scan=scan, region=REGIONS[0], status=ScanRegion.Status.SUCCEEDED)
    scan_finalize_if_complete(scan_id=scan.id)
    scan.refresh_from_db()
    return scan


def signed_in_client():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from securescope.services import team_groups_ensure

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    # Reading findings needs a team role: the viewer's, as the people who read them have.
    team_groups_ensure()
    user.groups.add(Group.objects.get(name="viewer"))
    client = Client()
    client.force_login(user)
    return client


def deep_cursor(scan, params: dict, row: int) -> dict:
    """The keyset link to the page that starts after `row` of the flat list these filters
    show, as the page before it would give it."""
    from findings.selectors import finding_list
    from findings.triage import cursor_encode

    status = params.get("status", "FAIL")
    findings = finding_list(scan=scan, status=status or None, sort="severity")
    names = [str(key).lstrip("-") for key in findings.query.order_by]
    before = findings[row - 1]
    return {**params, "after": cursor_encode([getattr(before, name) for name in names])}


def time_variants(
    client, url: str, variants: dict, requests: int, *, header: bool = True, before_each=None
) -> None:
    if header:
        print("| request | median ms | p95 ms |\n|---|---|---|")
    for name, params in variants.items():
        time_page(client, url, params, 3)  # warm the connection and the template cache
        median, p95 = time_page(client, url, params, requests, before_each=before_each)
        print(f"| {name} | {median * 1000:.1f} | {p95 * 1000:.1f} |", flush=True)


def time_running(client, scan, url: str, variants: dict, args) -> None:
    """The scan's pages as while it runs: no tallies, so they count its findings. A process
    keeps a running scan's counts until one of its units ends: timed as a page polled between
    two ends, then with a unit ending before every request."""
    from django.utils import timezone

    from findings.tallies import closed_scan_tallies_forget
    from scans.models import Scan

    tallies = list(scan.tallies.all())
    scan.tallies.all().delete()
    closed_scan_tallies_forget(scan_id=scan.id)
    Scan.objects.filter(id=scan.id).update(status=Scan.Status.RUNNING)

    def unit_ends() -> None:
        scan.scan_regions.update(finished_at=timezone.now())

    try:
        print("\nthe same scan while it runs, counted once until a unit ends")
        time_variants(client, url, variants, args.requests)
        print("\n... and with a unit ending before each request")
        time_variants(client, url, variants, args.requests, before_each=unit_ends)
    finally:
        Scan.objects.filter(id=scan.id).update(status=scan.status)
        type(tallies[0]).objects.bulk_create(tallies)


def time_page(
    client, url: str, params: dict, requests: int, *, before_each=None
) -> tuple[float, float]:
    seconds = []
    for _ in range(requests):
        if before_each is not None:
            before_each()
        started = time.perf_counter()
        response = client.get(url, params, secure=True)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(seconds), statistics.quantiles(seconds, n=20)[-1]


def export_child(scan_id: str, export_format: str) -> None:
    """Stream one export to /dev/null through its view; print its wall time and size."""
    from django.urls import reverse

    client = signed_in_client()
    started = time.perf_counter()
    response = client.get(reverse("findings:export", args=[scan_id, export_format]), secure=True)
    size = 0
    with open(os.devnull, "wb") as sink:
        for chunk in response.streaming_content:
            size += len(chunk)
            sink.write(chunk)
    print(f"{time.perf_counter() - started:.3f} {size}")


def time_export(database_url: str, scan_id: str, fmt: str) -> tuple[float, int, float]:
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, __file__, "--database-url", database_url, "--export", scan_id, fmt],
        stdout=subprocess.PIPE,
        text=True,
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"export {fmt} failed")
    seconds, size = output.split()
    return float(seconds), int(size), usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgres://securescope:securescope@127.0.0.1:5432/securescope_bench",
    )
    parser.add_argument("--findings", default="20000,200000", help="comma-separated sizes")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--export", nargs=2, metavar=("SCAN_ID", "FORMAT"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--reuse", action="store_true", help="time the scans a previous run left (same sizes)"
    )
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument(
        "--no-vacuum", action="store_true", help="time the pages before autovacuum has passed"
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=0,
        help="an organization run over this many accounts instead (bench/web_organization.py)",
    )
    parser.add_argument("--findings-per-account", type=int, default=100_000)
    parser.add_argument("--mutes-per-account", type=int, default=0)
    args = parser.parse_args()
    setup_django(args.database_url)
    if args.export:
        export_child(*args.export)
        return 0
    if args.accounts:
        from web_organization import organization_bench

        return organization_bench(args)

    from django.core.management import call_command
    from django.urls import reverse

    from scans.models import Scan
    from securescope.heap import startup_heap_freeze

    call_command("migrate", verbosity=0)
    sizes = [int(size) for size in args.findings.split(",")]
    scans = {}
    if args.reuse:
        for scan in Scan.objects.filter(account_hash=BENCH_ACCOUNT_HASH).order_by("created_at"):
            scans[sum(sum(row.values()) for row in scan.finding_counts.values())] = scan
        sizes = sorted(scans)
    else:
        Scan.objects.filter(account_hash=BENCH_ACCOUNT_HASH).delete()
    for size in [] if args.reuse else sizes:
        if size == max(sizes):
            started = time.perf_counter()
            create_bench_scan(size, changed_every=20)
            print(f"generated the previous {size:,} in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        scans[size] = create_bench_scan(size)
        print(f"generated {size:,} findings in {time.perf_counter() - started:.1f} s", flush=True)

    if not args.no_vacuum:
        # What autovacuum does within a minute or so of a scan (findings migrations 0009 and
        # 0011 have it run after every 20,000 new findings and 1,000 changed ones): the
        # visibility map then lets the resource view read its index alone.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE findings_finding")

    client = signed_in_client()
    # As each gunicorn worker does once it has loaded the app (deploy/gunicorn.conf.py).
    startup_heap_freeze()
    largest = scans[max(sizes)]
    url = reverse("findings:table", args=[largest.id])
    variants = dict(PAGE_VARIANTS)
    for name, row in (
        ("flat, page 400 (keyset)", DEEP_FAILING_ROW),
        ("flat, any status, page 1,000 (keyset)", DEEP_ANY_ROW),
    ):
        variants[name] = deep_cursor(largest, variants[name], row)
    print(f"\nfindings page at {max(sizes):,} findings, {args.requests} requests each")
    time_variants(client, url, variants, args.requests)
    top_rule = largest.tallies.filter(status="FAIL").order_by("-count").first().rule_id
    print("\na rule unfolded, and the overview")
    time_variants(
        client,
        reverse("findings:rule", args=[largest.id, top_rule]),
        {f"rule {top_rule} unfolded": {}},
        args.requests,
    )
    time_variants(client, reverse("home"), {"overview": {}}, args.requests)

    time_running(client, largest, url, {name: variants[name] for name in LIVE_VARIANTS}, args)

    if args.skip_exports:
        return 0
    print("\nexports, each streamed in a fresh process: rendered, then again (from its snapshot)")
    print(
        "| format | findings | seconds | again s | MiB written | peak RSS MiB | again MiB |\n"
        "|---|---|---|---|---|---|---|"
    )
    for export_format in ("json", "csv", "md", "html", "ocsf"):
        for size in sizes:
            scan_id = str(scans[size].id)
            seconds, written, peak = time_export(args.database_url, scan_id, export_format)
            again, _, again_peak = time_export(args.database_url, scan_id, export_format)
            print(
                f"| {export_format} | {size:,} | {seconds:.2f} | {again:.2f} "
                f"| {written / 2**20:.1f} | {peak:.0f} | {again_peak:.0f} |",
                flush=True,
            )
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nload average after: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
