"""How fast a scan unit stores its findings: evaluation and batched writes of 100,000 findings.

    .venv/bin/python bench/persist.py --database-url postgres://...  [--findings 100000]

Runs the scan units' own code path, `evaluate` then `findings_store`, on a synthetic inventory
cut from the rules' test cases (as bench/rules.py builds it) until the evaluations reach
--findings, into a finished scan on the given database (SQLite under a temporary DATA_DIR when
none is given). Prints the time spent evaluating and building the rows, the time in the
database writes (ScanRegion.timings' "write"), and findings per second, best of --repeat.
"""

import argparse
import os
import sys
import tempfile
import time
from itertools import cycle, islice
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
    from rules.engine import evaluate, load_catalog
    from rules.tests.cases import all_cases, examples
    from scans.inventory import Resource
    from scans.models import Scan

    call_command("migrate", verbosity=0)
    catalog = load_catalog()
    rules = {rule.id: rule for rule in catalog.rules}
    shapes = [
        (rules[rule_id].resource_type, data)
        for rule_id, by_status in sorted(all_cases().items())
        if rule_id in rules
        for _, _, data in examples(by_status)
    ]

    def resources():
        for index, (kind, data) in enumerate(cycle(shapes)):
            yield Resource(
                kind, f"arn:aws:bench:eu-west-1:123456789012:r/{index}", "eu-west-1", data
            )

    def evaluations():
        return islice(evaluate(catalog, resources()), args.findings)

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
