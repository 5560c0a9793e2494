"""Time an organization scan in the production shape, with one qcluster process and with two.

    .venv/bin/python bench/org_scan.py --members 20 --regions 3 \
        --database-url postgres://securescope:...@127.0.0.1:5432/bench

Starts a moto server on 127.0.0.1 (moto honours AssumeRole into any account id), seeds its
default account as the demo account (the management account, keys DEMO_ACCESS_KEY_ID) and makes
it an organization of --members member accounts, each seeded through its
OrganizationAccountAccessRole with a small world per region (security groups open and closed,
volumes, a snapshot, an IAM user and a bucket). Then, on PostgreSQL and Redis, for each
--clusters count it starts that many `manage.py qcluster` processes (Q_CLUSTER_NAME=scans, each
with Q_WORKERS workers) and runs `manage.py scan --organization --workers` over --regions
regions, and prints: wall time from the command's start to the last export written, the API
floor of the same calls (bench/floor.py run for each account in turn, its regions in parallel
as the scanner's are, summed), requests the scans made, findings written, peak resident memory
of the command and of the largest process of each cluster.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from scan import (
    ROOT,
    floor,
    manage,
    mode_env,
    peak_rss_mib,
    start_moto,
)
from world import REGIONS

from scans.collection.demo import DEMO_ACCESS_KEY_ID, DEMO_SECRET_ACCESS_KEY, seed_account

MEMBER_ROLE = "OrganizationAccountAccessRole"


def management_client(service: str, endpoint: str, region: str = "us-east-1"):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=DEMO_ACCESS_KEY_ID,
        aws_secret_access_key=DEMO_SECRET_ACCESS_KEY,
    )


def member_keys(endpoint: str, account_id: str) -> dict[str, str]:
    """Temporary keys of the member's role, as the scan gets them."""
    sts = management_client("sts", endpoint)
    role = f"arn:aws:iam::{account_id}:role/{MEMBER_ROLE}"
    keys = sts.assume_role(RoleArn=role, RoleSessionName="bench-seed")["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": keys["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": keys["SecretAccessKey"],
        "AWS_SESSION_TOKEN": keys["SessionToken"],
    }


def seed_member(endpoint: str, keys: dict[str, str], index: int, regions: list[str]) -> None:
    session = boto3.Session(
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=keys["AWS_SESSION_TOKEN"],
    )
    for region in regions:
        ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint)
        zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
        for number in range(4):
            group = ec2.create_security_group(
                GroupName=f"bench-{number}", Description="bench security group"
            )["GroupId"]
            cidr = "0.0.0.0/0" if number % 2 == 0 else "10.0.0.0/8"
            ec2.authorize_security_group_ingress(
                GroupId=group,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 22,
                        "ToPort": 22,
                        "IpRanges": [{"CidrIp": cidr}],
                    }
                ],
            )
        for number in range(3):
            volume = ec2.create_volume(AvailabilityZone=zone, Size=8, Encrypted=number == 0)
            if number == 1:
                ec2.create_snapshot(VolumeId=volume["VolumeId"])
    iam = session.client("iam", region_name="us-east-1", endpoint_url=endpoint)
    iam.create_user(UserName="bench-user")
    iam.create_access_key(UserName="bench-user")
    s3 = session.client("s3", region_name="us-east-1", endpoint_url=endpoint)
    s3.create_bucket(Bucket=f"bench-member-{index:03d}")


def build_organization(endpoint: str, members: int, regions: list[str]) -> list[dict]:
    """The management account seeded as the demo account, its members as small worlds; returns
    every account's keys (the management's own first)."""
    seed_account(endpoint, regions=regions)
    organizations = management_client("organizations", endpoint)
    organizations.create_organization(FeatureSet="ALL")
    accounts = [
        {"AWS_ACCESS_KEY_ID": DEMO_ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": DEMO_SECRET_ACCESS_KEY}
    ]
    for index in range(members):
        created = organizations.create_account(
            AccountName=f"member-{index}", Email=f"member-{index}@example.com"
        )["CreateAccountStatus"]
        keys = member_keys(endpoint, created["AccountId"])
        seed_member(endpoint, keys, index, regions)
        accounts.append(keys)
    return accounts


def summed_floor(
    env: dict[str, str], endpoint: str, accounts: list[dict], regions: int
) -> tuple[int, float]:
    """bench/floor.py for each account in turn: requests and wall seconds, summed."""
    requests, seconds = 0, 0.0
    for keys in accounts:
        account_env = {**env, **keys}
        if "AWS_SESSION_TOKEN" not in keys:
            account_env.pop("AWS_SESSION_TOKEN", None)
        account_requests, account_seconds, _ = floor(account_env, endpoint, regions)
        requests += account_requests
        seconds += account_seconds
    return requests, seconds


def organization_scan(env: dict[str, str], regions: list[str], clusters: int, output: Path) -> dict:
    processes = [
        manage(
            {**env, "Q_CLUSTER_NAME": "scans"},
            "qcluster",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(clusters)
    ]
    time.sleep(5)  # the clusters' workers start and register with the broker
    try:
        args = [
            "scan",
            "--organization",
            "--role-name",
            MEMBER_ROLE,
            "--regions",
            ",".join(regions),
            "--format",
            "json",
            "--output",
            str(output),
            "--workers",
        ]
        started = time.perf_counter()
        command = manage(env, *args, stderr=subprocess.PIPE)
        stderr = command.stderr.read().decode()
        _, status, usage = os.wait4(command.pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        # 0: done; 4: partial. moto's unimplemented APIs are "not evaluated", never a failure.
        if code not in (0, 3, 4) or not (output / "summary.json").exists():
            raise RuntimeError(f"manage.py scan --organization exited {code}:\n{stderr}")
        cluster_peaks = [peak_rss_mib(process.pid) for process in processes]
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
    return {"wall": wall, "command_peak": usage.ru_maxrss / 1024, "cluster_peaks": cluster_peaks}


def run_figures() -> dict:
    """The latest organization run's requests, findings and units."""
    from scans.models import OrganizationRun, ScanRegion

    run = OrganizationRun.objects.order_by("-created_at").first()
    units = ScanRegion.objects.filter(scan__organization_run=run)
    requests = findings = 0
    for calls, found in units.values_list("api_calls", "findings_count"):
        requests += sum(calls.values())
        findings += found
    return {
        "accounts": run.scans.count(),
        "not_assumed": len(run.not_assumed),
        "units": units.count(),
        "requests": requests,
        "findings": findings,
        "statuses": sorted(set(run.scans.values_list("status", flat=True))),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--clusters", default="1,2", help="comma-separated qcluster counts")
    parser.add_argument("--max-attempts", type=int, default=2)
    parser.add_argument(
        "--database-url",
        default="postgres://securescope:securescope@127.0.0.1:5432/securescope_bench",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    args.mode = "production"
    regions = REGIONS[: args.regions]
    server, endpoint = start_moto()
    try:
        started = time.perf_counter()
        accounts = build_organization(endpoint, args.members, regions)
        print(
            f"organization: 1 management + {args.members} members x {args.regions} regions, "
            f"built in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="securescope-bench-") as workdir:
            env = {**mode_env(args, Path(workdir)), "AWS_ENDPOINT_URL": endpoint}
            os.environ.update(env)
            subprocess.run(  # noqa: S603
                [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True
            )
            import django

            django.setup()
            floor_requests, floor_seconds = summed_floor(env, endpoint, accounts, args.regions)
            print(f"floor: {floor_requests} requests, {floor_seconds:.1f} s", flush=True)
            rows = []
            for clusters in [int(count) for count in args.clusters.split(",")]:
                output = Path(workdir) / f"out-{clusters}"
                output.mkdir()
                result = organization_scan(env, regions, clusters, output)
                rows.append((clusters, result, run_figures()))
                print(f"{clusters} qcluster(s) done", flush=True)
        load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
        print(
            f"\norganization scan: 1 + {args.members} accounts x {args.regions} regions, "
            f"Q_WORKERS={os.environ.get('Q_WORKERS', '4')} per qcluster, "
            f"AWS_MAX_ATTEMPTS={args.max_attempts}, load average after {load}"
        )
        print(
            "| qclusters | wall s | floor s | wall / floor | requests | floor requests "
            "| findings | accounts (not assumed) | scan statuses | command peak RSS MiB "
            "| peak RSS per qcluster MiB |\n|---|---|---|---|---|---|---|---|---|---|---|"
        )
        for clusters, result, figures in rows:
            peaks = ", ".join(f"{peak:.0f}" for peak in result["cluster_peaks"])
            print(
                f"| {clusters} | {result['wall']:.1f} | {floor_seconds:.1f} "
                f"| {result['wall'] / floor_seconds:.2f} | {figures['requests']} "
                f"| {floor_requests} | {figures['findings']} "
                f"| {figures['accounts']} ({figures['not_assumed']}) "
                f"| {', '.join(figures['statuses'])} | {result['command_peak']:.0f} | {peaks} |"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
