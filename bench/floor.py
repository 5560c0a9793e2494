"""The API floor: the bare read-only calls any scanner must make for the scanned inventory.

    .venv/bin/python bench/floor.py --endpoint http://127.0.0.1:5055 --regions 3

Makes the same operations SecureScope's collectors make (paginated listings per region, the
per-item calls their results call for, and the account-wide calls), with no memo, no database and
no rules: one thread per region plus one for the account-wide part, and up to four calls at a
time in each, as the scanner does. Prints the request count and the wall time.
"""

import argparse
import os
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError
from world import REGIONS

CONFIG = Config(
    retries={
        "mode": "adaptive",
        "total_max_attempts": int(os.environ.get("AWS_MAX_ATTEMPTS", "8")),
    }
)


class Caller:
    def __init__(self, endpoint: str, region: str) -> None:
        self.endpoint, self.region = endpoint, region
        # Per "service:Operation", named as the scan's ScanRegion.api_calls names them.
        self.requests: Counter[str] = Counter()
        self._clients: dict[tuple[str, str], object] = {}

    def client(self, service: str, region: str | None = None):
        key = (service, region or self.region)
        if key not in self._clients:
            self._clients[key] = boto3.client(
                service, region_name=key[1], endpoint_url=self.endpoint, config=CONFIG
            )
        return self._clients[key]

    def _count(self, service: str, operation: str) -> None:
        api = self.client(service)
        name = api.meta.service_model.service_name
        self.requests[f"{name}:{api.meta.method_to_api_mapping[operation]}"] += 1

    def call(self, service: str, operation: str, region: str | None = None, **params) -> dict:
        self._count(service, operation)
        try:
            return getattr(self.client(service, region), operation)(**params)
        except (ClientError, BotoCoreError, ResponseParserError):
            return {}

    def items(self, service: str, operation: str, key: str, **params) -> list:
        api = self.client(service)
        found = []
        try:
            for page in api.get_paginator(operation).paginate(**params):
                self._count(service, operation)
                found += page.get(key, [])
        except (ClientError, BotoCoreError, ResponseParserError):
            self._count(service, operation)
        return found


def region_calls(caller: Caller) -> None:
    def ec2_listings() -> None:
        for operation, key in (
            ("describe_security_groups", "SecurityGroups"),
            ("describe_instances", "Reservations"),
            ("describe_volumes", "Volumes"),
            ("describe_network_acls", "NetworkAcls"),
            ("describe_vpcs", "Vpcs"),
            ("describe_flow_logs", "FlowLogs"),
        ):
            caller.items("ec2", operation, key)
        caller.call("ec2", "get_ebs_encryption_by_default")
        caller.call("ec2", "get_ebs_default_kms_key_id")

    def ec2_images() -> None:
        for snapshot in caller.items("ec2", "describe_snapshots", "Snapshots", OwnerIds=["self"]):
            caller.call(
                "ec2",
                "describe_snapshot_attribute",
                SnapshotId=snapshot["SnapshotId"],
                Attribute="createVolumePermission",
            )
        for image in caller.items("ec2", "describe_images", "Images", Owners=["self"]):
            caller.call(
                "ec2",
                "describe_image_attribute",
                ImageId=image["ImageId"],
                Attribute="launchPermission",
            )

    def eks() -> None:
        for name in caller.items("eks", "list_clusters", "clusters"):
            caller.call("eks", "describe_cluster", name=name)
            for group in caller.items("eks", "list_nodegroups", "nodegroups", clusterName=name):
                caller.call("eks", "describe_nodegroup", clusterName=name, nodegroupName=group)
            caller.items("eks", "list_addons", "addons", clusterName=name)

    def services() -> None:
        caller.items("ssm", "describe_instance_information", "InstanceInformationList")
        caller.items("ssm", "list_compliance_summaries", "ComplianceSummaryItems")
        caller.call("config", "describe_configuration_recorders")
        caller.call("config", "describe_configuration_recorder_status")
        caller.call("config", "describe_delivery_channels")
        for detector in caller.items("guardduty", "list_detectors", "DetectorIds"):
            caller.call("guardduty", "get_detector", DetectorId=detector)
        caller.call("securityhub", "describe_hub")
        for key in caller.items("kms", "list_keys", "Keys"):
            caller.call("kms", "describe_key", KeyId=key["KeyId"])

    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(part) for part in (ec2_listings, ec2_images, eks, services)]:
            future.result()


def global_calls(caller: Caller) -> None:
    caller.call("iam", "get_account_summary")
    caller.call("iam", "get_account_password_policy")
    caller.call("iam", "generate_credential_report")
    caller.call("iam", "get_credential_report")
    caller.items("iam", "list_open_id_connect_providers", "OpenIDConnectProviderList")
    for filters in (["Role"], ["LocalManagedPolicy", "AWSManagedPolicy"]):
        caller.items("iam", "get_account_authorization_details", "RoleDetailList", Filter=filters)
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=caller.endpoint)
    account = sts.get_caller_identity()["Account"]
    caller.call("s3control", "get_public_access_block", AccountId=account)
    for bucket in caller.call("s3", "list_buckets").get("Buckets", []):
        for operation in (
            "get_bucket_location",
            "get_bucket_encryption",
            "get_public_access_block",
            "get_bucket_versioning",
            "get_bucket_policy",
        ):
            caller.call("s3", operation, Bucket=bucket["Name"])
    home_regions = {
        trail["TrailARN"]: trail["HomeRegion"]
        for trail in caller.items("cloudtrail", "list_trails", "Trails")
    }
    for region in sorted(set(home_regions.values())):
        homed_here = sorted(arn for arn, home in home_regions.items() if home == region)
        caller.call("cloudtrail", "describe_trails", region=region, trailNameList=homed_here)
        for arn in homed_here:
            caller.call("cloudtrail", "get_trail_status", region=region, Name=arn)
            caller.call("cloudtrail", "get_event_selectors", region=region, TrailName=arn)
    caller.call("organizations", "describe_organization")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="moto server URL on a loopback address")
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(REGIONS) + 1))
    args = parser.parse_args()
    host = urlparse(args.endpoint).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        parser.error("the endpoint must be a loopback address")
    callers = [Caller(args.endpoint, region) for region in REGIONS[: args.regions]]
    account_wide = Caller(args.endpoint, "us-east-1")
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(callers) + 1) as pool:
        futures = [pool.submit(region_calls, caller) for caller in callers]
        futures.append(pool.submit(global_calls, account_wide))
        for future in futures:
            future.result()
    elapsed = time.perf_counter() - started
    calls = sum((caller.requests for caller in [*callers, account_wide]), Counter())
    print(f"floor: {calls.total()} requests, {elapsed:.2f} s wall, {args.regions} regions")
    print("API calls per operation:")
    for operation, count in sorted(calls.items()):
        print(f"  {operation} {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
