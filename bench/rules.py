"""Rule evaluation throughput on a synthetic inventory.

    .venv/bin/python bench/rules.py [--resources 100000] [--repeat 3]

The inventory cycles through the crafted case data of every rule (rules/tests/cases/), so each
resource type the catalog covers appears in proportion and every evaluator runs on PASS, FAIL and
NOT_EVALUATED shapes. Prints (rule, resource) evaluations per second, best of the repeats.
"""

import argparse
import os
import sys
import time
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securescope.settings")


def main() -> int:
    import django

    django.setup()
    from rules.engine import evaluate
    from rules.loading import load_catalog
    from rules.tests.cases import synthetic_resources

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    catalog = load_catalog()
    resources = list(islice(synthetic_resources(catalog), args.resources))
    best = None
    evaluations = 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        evaluations = sum(1 for _ in evaluate(catalog, resources))
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    types = len({resource.type for resource in resources})
    print(
        f"rules: {len(catalog.rules)} rules, {len(resources)} resources of "
        f"{types} types, {evaluations} evaluations in {best:.2f} s "
        f"(best of {args.repeat}) = {evaluations / best:,.0f} evaluations/s, "
        f"{len(resources) / best:,.0f} resources/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
