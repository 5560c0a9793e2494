"""The API's findings list on a scan with 200,000 findings, on PostgreSQL.

    .venv/bin/python bench/api.py --database-url postgres://securescope:...@127.0.0.1:5432/bench

Writes a synthetic finished scan with COPY (bench/web.py's generator), then times 100 requests
to each variant of GET /api/v1/scans/<uuid>/findings through Django's test client with a bearer
token (first page, a filter, a sort, and the 50th page reached by cursor) and prints median and
p95. The rate limit is lifted for the run: the bench measures the query, not the throttle.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from web import BENCH_ACCOUNT_HASH, create_bench_scan, setup_django, time_page

VARIANTS = {
    "no filter": {},
    "severity=high": {"severity": "high"},
    "status=FAIL": {"status": "FAIL"},
    "sort=-severity": {"sort": "-severity"},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgres://securescope:securescope@127.0.0.1:5432/securescope_bench",
    )
    parser.add_argument("--findings", type=int, default=200000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    os.environ["API_RATE_PER_MINUTE"] = str(10**9)
    setup_django(args.database_url)

    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from findings.api.services import api_token_create
    from scans.models import Scan
    from securescope.services import team_groups_ensure

    call_command("migrate", verbosity=0)
    Scan.objects.filter(account_hash=BENCH_ACCOUNT_HASH).delete()
    scan = create_bench_scan(args.findings)
    user, _ = get_user_model().objects.get_or_create(username="bench-api")
    # Reading findings needs a team role, for a token as for a browser.
    team_groups_ensure()
    user.groups.add(Group.objects.get(name="viewer"))
    user.api_tokens.all().delete()
    _, secret = api_token_create(
        user=user, name="bench", expires_at=timezone.now() + timedelta(days=1)
    )
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    url = f"/api/v1/scans/{scan.id}/findings"
    cursor = ""
    for _ in range(49):
        cursor = client.get(url, {"cursor": cursor}, secure=True).json()["next_cursor"]
    variants = {**VARIANTS, "page 50 (by cursor)": {"cursor": cursor}}
    print(f"API findings list at {args.findings:,} findings, {args.requests} requests each")
    print("| request | median ms | p95 ms |\n|---|---|---|")
    for name, params in variants.items():
        time_page(client, url, params, 3)
        median, p95 = time_page(client, url, params, args.requests)
        print(f"| {name} | {median * 1000:.1f} | {p95 * 1000:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
