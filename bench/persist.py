"""How fast a scan unit stores its findings: evaluation and batched writes of 100,000 findings.

    .venv/bin/python bench/persist.py --database-url postgres://...  [--findings 100000]

Runs the scan units' own code path, `evaluate` then `findings_store`, on the synthetic inventory
that bench/rules.py uses too (`synthetic_resources`, cut from the rules' test cases) until the
evaluations reach --findings, into a finished scan on the given database (SQLite under a
temporary DATA_DIR when none is given). Prints the time spent evaluating and building the
rows, the time in the database writes (ScanRegion.timings' "write"), and findings per second,
best of --repeat.
"""

import argparse
import os
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="securescope.settings",
        DATABASE_URL=args.database_url,
        DATA_DIR=os.environ.get("DATA_DIR") or tempfile.mkdtemp(prefix="securescope-persist-"),
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    from findings.services import findings_store
    from rules.engine import evaluate
    from rules.loading import load_catalog
    from rules.tests.cases import synthetic_resources
    from scans.models import Scan

    call_command("migrate", verbosity=0)
    catalog = load_catalog()

    def evaluations():
        return islice(evaluate(catalog, synthetic_resources(catalog)), args.findings)

    best = None
    for _ in range(args.repeat):
        started = time.perf_counter()
        evaluated = sum(1 for _ in evaluations())
        evaluating = time.perf_counter() - started
        scan = Scan.objects.create(account_hash="persist", account_label="****PRST")
        started = time.perf_counter()
        stored = findings_store(scan_id=scan.id, evaluations=evaluations())
        total = time.perf_counter() - started
        scan.delete()
        if best is None or total < best[1]:
            best = (evaluating, total, stored.write_seconds, evaluated)
    evaluating, total, writing, evaluated = best
    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"persist: {evaluated:,} findings on {engine}, best of {args.repeat}: evaluate "
        f"{evaluating:.2f} s; evaluate and store {total:.2f} s, of which database writes "
        f"{writing:.2f} s ({evaluated / writing:,.0f} findings/s written)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
