"""Build a simulated AWS account on a moto server, deterministically, at a chosen scale.

    .venv/bin/python bench/world.py --endpoint http://127.0.0.1:5055 --scale 1 --regions 3

It is the demo account (scans/collection/demo.py) with every regional count multiplied by the
scale: per region and unit of scale 8 security groups, 12 instances, 6 volumes, 4 snapshots and
2 EKS clusters, plus the account-wide users, buckets and trail. Only loopback endpoints are
accepted: benchmarks never touch a real account.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scans.collection.demo import seed_account

REGIONS = ["us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-2", "ca-central-1"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="moto server URL on a loopback address")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(REGIONS) + 1))
    args = parser.parse_args()
    regions = REGIONS[: args.regions]
    try:
        created = seed_account(args.endpoint, regions=regions, scale=args.scale)
    except ValueError as error:
        parser.error(str(error))
    print(
        f"world: scale {args.scale}, {len(regions)} regions ({','.join(regions)}), "
        f"{created} regional resources created"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
