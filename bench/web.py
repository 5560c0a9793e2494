"""The findings page and the exports of a scan with 200,000 findings, on PostgreSQL.

    .venv/bin/python bench/web.py --database-url postgres://securescope:...@127.0.0.1:5432/bench

Writes two synthetic scans straight into the database with COPY (20,000 and 200,000 findings
over the catalog's real rules, 6 regions, the three statuses), then times 100 requests to each
findings-page variant (/findings/scan/<uuid>/ with no filter, a severity, a status, both, and a
later page) through Django's test client, signed in, and prints median and p95. Each export
format of both scans is then streamed through its view to /dev/null in a fresh process, whose
wall time and peak resident memory are reported: streaming keeps memory flat as findings grow.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from itertools import cycle
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_ACCOUNT_HASH = "bench" + "0" * 59
REGIONS = ["us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-2", "ca-central-1"]
STATUSES = ["FAIL", "PASS", "PASS", "NOT_EVALUATED"]
PAGE_VARIANTS = {
    "no filter": {},
    "severity=high": {"severity": "high"},
    "status=FAIL": {"status": "FAIL"},
    "severity=critical&status=FAIL": {"severity": "critical", "status": "FAIL"},
    "page 50": {"page": "50"},
}


def setup_django(database_url: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="securescope.settings",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()


def create_bench_scan(findings: int):
    """A finished scan with `findings` findings, written with COPY in seconds, then finalized."""
    from django.db import connection, transaction

    from findings.columns import STORED_COLUMNS
    from findings.services import finding_fingerprint
    from rules.loading import load_catalog
    from scans.lifecycle.services import scan_finalize_if_complete
    from scans.models import Scan

    rules = sorted(load_catalog().rules, key=lambda rule: rule.id)
    scan = Scan.objects.create(
        account_hash=BENCH_ACCOUNT_HASH,
        account_label="****BNCH",
        status=Scan.Status.RUNNING,
        regions=REGIONS,
    )
    columns = ", ".join(STORED_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY findings_finding ({columns}) FROM STDIN") as copy:
            for index, rule, region, status in zip(
                range(findings), cycle(rules), cycle(REGIONS), cycle(STATUSES), strict=False
            ):
                resource = hashlib.sha256(f"{scan.id}-{index}".encode()).hexdigest()
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
    scan_finalize_if_complete(scan_id=scan.id)  # as the scan's last unit would: counts stored
    scan.refresh_from_db()
    return scan


def signed_in_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
    client = Client()
    client.force_login(user)
    return client


def time_page(client, url: str, params: dict, requests: int) -> tuple[float, float]:
    seconds = []
    for _ in range(requests):
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
    args = parser.parse_args()
    setup_django(args.database_url)
    if args.export:
        export_child(*args.export)
        return 0

    from django.core.management import call_command
    from django.urls import reverse

    from scans.models import Scan

    call_command("migrate", verbosity=0)
    Scan.objects.filter(account_hash=BENCH_ACCOUNT_HASH).delete()
    sizes = [int(size) for size in args.findings.split(",")]
    scans = {}
    for size in sizes:
        started = time.perf_counter()
        scans[size] = create_bench_scan(size)
        print(f"generated {size:,} findings in {time.perf_counter() - started:.1f} s", flush=True)

    client = signed_in_client()
    largest = scans[max(sizes)]
    url = reverse("findings:table", args=[largest.id])
    print(f"\nfindings page at {max(sizes):,} findings, {args.requests} requests each")
    print("| request | median ms | p95 ms |\n|---|---|---|")
    for name, params in PAGE_VARIANTS.items():
        time_page(client, url, params, 3)  # warm the connection and the template cache
        median, p95 = time_page(client, url, params, args.requests)
        print(f"| {name} | {median * 1000:.1f} | {p95 * 1000:.1f} |", flush=True)

    print("\nexports, each streamed in a fresh process")
    print("| format | findings | seconds | MiB written | peak RSS MiB |\n|---|---|---|---|---|")
    for export_format in ("json", "csv", "md", "html", "ocsf"):
        for size in sizes:
            seconds, written, peak = time_export(
                args.database_url, str(scans[size].id), export_format
            )
            print(
                f"| {export_format} | {size:,} | {seconds:.2f} | {written / 2**20:.1f} "
                f"| {peak:.0f} |",
                flush=True,
            )
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nload average after: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
