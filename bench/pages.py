"""CPU per request of the pages people read, in one process: the scan page, the findings page
grouped, flat and by resource, its table alone, and the overview, on the demo account.

    .venv/bin/python bench/pages.py --database-url postgres://securescope:...@127.0.0.1:5432/pages

Serves the seeded demo account on a loopback port, scans it twice with `manage.py scan` (a
throwaway DATA_DIR; use a database of its own, as the overview shows every account in it),
then requests each page of the first of the two scans through Django's test client, signed
in as a viewer, and prints the CPU time per request of this process (the view, the template
and the test client; PostgreSQL's own work is not in it) and the wall-clock median. What
bench/load.py's fifty clients cost beyond this is TLS, gunicorn, the scan running beside them
and the clients themselves.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgres://securescope:securescope@127.0.0.1:5432/securescope_pages",
    )
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="securescope-pages-")
    os.environ.update(
        DATABASE_URL=args.database_url,
        DATA_DIR=data_dir,
        DJANGO_SETTINGS_MODULE="securescope.settings",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    scans = seed_demo_scans()
    print(f"pages of the demo account ({scans[0]['findings']:,} findings in the scan read)")
    print("| page | CPU ms per request | wall median ms |\n|---|---|---|")
    for name, (url, params) in page_urls(scans[0]["id"]).items():
        cpu, wall = time_page(url, params, args.requests)
        print(f"| {name} | {cpu * 1000:.1f} | {wall * 1000:.1f} |", flush=True)
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nload average after: {load}")
    return 0


def seed_demo_scans() -> list[dict]:
    """Two scans of the demo account, oldest first, through the command a user runs."""
    from scans.collection.demo import (
        DEMO_ACCESS_KEY_ID,
        DEMO_REGIONS,
        DEMO_SECRET_ACCESS_KEY,
        demo_server,
    )
    from scans.models import Scan

    before = set(Scan.objects.values_list("id", flat=True))
    endpoint = demo_server.start()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": DEMO_SECRET_ACCESS_KEY,
        # moto answers the APIs it lacks with retried 500s: keep the retries short.
        "AWS_MAX_ATTEMPTS": "2",
    }
    try:
        for _ in range(2):
            subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "scan",
                    "--regions",
                    ",".join(DEMO_REGIONS),
                    "--output",
                    os.devnull,
                ],
                env=env,
                check=True,
                capture_output=True,
            )
    finally:
        demo_server.stop()
    return [
        {"id": scan.id, "findings": scan.findings.count()}
        for scan in Scan.objects.exclude(id__in=before).order_by("created_at")
    ]


def page_urls(scan_id) -> dict[str, tuple[str, dict]]:
    from django.urls import reverse

    findings = reverse("findings:list")
    scan = str(scan_id)
    return {
        "scan page": (reverse("scan_pages:detail", args=[scan_id]), {}),
        "findings, grouped": (findings, {"scan": scan}),
        "findings, flat": (findings, {"scan": scan, "view": "flat"}),
        "findings, by resource": (findings, {"scan": scan, "view": "resources"}),
        "findings table (htmx)": (reverse("findings:table", args=[scan_id]), {}),
        "overview": (reverse("home"), {}),
    }


def time_page(url: str, params: dict, requests: int) -> tuple[float, float]:
    from web import signed_in_client

    client = signed_in_client()
    for _ in range(3):  # the first requests read what a process keeps afterwards
        assert client.get(url, params, secure=True).status_code == 200
    walls = []
    started_cpu = time.process_time()
    for _ in range(requests):
        started = time.perf_counter()
        client.get(url, params, secure=True)
        walls.append(time.perf_counter() - started)
    return (time.process_time() - started_cpu) / requests, statistics.median(walls)


if __name__ == "__main__":
    sys.exit(main())
