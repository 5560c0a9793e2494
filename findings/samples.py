"""The demo account's exports in every format, written to `samples/` by `manage.py samples`.

A sample shows what the code produces, so it is made the way a user makes one: a demo scan
through the whole pipeline, then each exporter. What changes from one run to the next is pinned
so that the same code writes byte-identical samples: moto's random ids (seeded), the resource
hash key, the scan's id and its times, and the day moto stamps on what it creates (launch and
creation dates in evidence), written as the scan's pinned day.
"""

import urllib.request
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.test.utils import override_settings

from findings.exports import EXPORTERS, FILE_EXTENSIONS
from findings.selectors import finding_list
from scans.collection.demo import demo_server, reset_moto_server, seed_account
from scans.lifecycle.services import scan_start_demo, scan_wait
from scans.models import Scan, ScanRegion

SAMPLES_DIR = Path(settings.BASE_DIR) / "samples"
SAMPLE_NAME = "demo"
# Not a secret: it only makes the samples' resource hashes the same on every machine.
SAMPLE_HASH_KEY = "securescope-samples-EXAMPLE"
SAMPLE_SCAN_ID = uuid.UUID("00000000-0000-4000-8000-000000000015")
SAMPLE_STARTED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SAMPLE_DURATION = timedelta(seconds=75)
MOTO_SEED = 15
SCAN_TIMEOUT = 600


def _seed_demo_account() -> None:
    """The demo account seeded afresh with moto's random ids drawn from a fixed seed."""
    endpoint = demo_server.start()
    reset_moto_server(endpoint)
    seed = urllib.request.Request(f"{endpoint}/moto-api/seed?a={MOTO_SEED}", method="POST")  # noqa: S310
    urllib.request.urlopen(seed).close()  # noqa: S310
    seed_account(endpoint)


def _pin_times(scan: Scan) -> Scan:
    finished = SAMPLE_STARTED + SAMPLE_DURATION
    Scan.objects.filter(id=scan.id).update(created_at=SAMPLE_STARTED, finished_at=finished)
    ScanRegion.objects.filter(scan=scan).update(started_at=SAMPLE_STARTED, finished_at=finished)
    return Scan.objects.get(id=scan.id)


def sample_file_name(export_format: str) -> str:
    return f"{SAMPLE_NAME}.{FILE_EXTENSIONS.get(export_format, export_format)}"


def _pinned(text: str, *, scan: Scan, seeded_on: set[date]) -> str:
    text = text.replace(str(scan.id), str(SAMPLE_SCAN_ID))
    for day in seeded_on:
        text = text.replace(day.isoformat(), SAMPLE_STARTED.date().isoformat())
    return text


def sample_exports() -> dict[str, str]:
    """File name -> content of the demo account's export in each format."""
    # Two days when the seeding straddles midnight.
    seeded_on = {datetime.now(UTC).date()}
    with override_settings(RESOURCE_HASH_KEY=SAMPLE_HASH_KEY):
        _seed_demo_account()
        seeded_on.add(datetime.now(UTC).date())
        scan = scan_wait(scan_id=scan_start_demo().id, timeout=SCAN_TIMEOUT)
    try:
        scan = _pin_times(scan)
        return {
            sample_file_name(export_format): _pinned(
                "".join(exporter(scan, finding_list(scan_id=scan.id))),
                scan=scan,
                seeded_on=seeded_on,
            )
            for export_format, exporter in sorted(EXPORTERS.items())
        }
    finally:
        Scan.objects.filter(id=scan.id).delete()


def stale_samples(exports: dict[str, str], directory: Path = SAMPLES_DIR) -> list[str]:
    """The sample files that are missing or differ from `exports`."""
    return [
        name
        for name, text in sorted(exports.items())
        if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != text
    ]
