"""Cases for EC2 instance hardening and patch hygiene: DescribeInstances items joined with SSM."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from rules.tests.cases import Example

LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)
RECENT = timezone.now() - timedelta(days=1)
DENIED = "missing permission (AccessDeniedException): ssm:DescribeInstanceInformation"
PATCH_DENIED = "missing permission (AccessDeniedException): ssm:DescribeInstancePatchStates"
PROFILE = {"Arn": "arn:aws:iam::123456789012:instance-profile/web", "Id": "AIPAEXAMPLE"}


def _instance(state: str = "running", **fields) -> dict:
    return {
        "State": {"Name": state},
        "LaunchTime": RECENT,
        "VirtualizationType": "hvm",
        "Monitoring": {"State": "disabled"},
        "MetadataOptions": {
            "HttpTokens": "required",
            "HttpEndpoint": "enabled",
            "HttpPutResponseHopLimit": 1,
        },
        "NetworkInterfaces": [],
        "SsmManaged": None,
        "PatchState": None,
        **fields,
    }


def _interface(public_ip: str, owner: str = "amazon") -> dict:
    return {"Association": {"PublicIp": public_ip, "IpOwnerId": owner}}


def _managed(ping: str = "Online", latest: bool | None = True) -> dict:
    information = {
        "PingStatus": ping,
        "LastPingDateTime": RECENT,
        "AgentVersion": "3.3.1142.0",
        "PlatformType": "Linux",
    }
    if latest is not None:
        information["IsLatestVersion"] = latest
    return information


def _patch(end: datetime = RECENT, **counts) -> dict:
    return {
        "Operation": "Scan",
        "OperationStartTime": end,
        "OperationEndTime": end,
        "MissingCount": 0,
        "FailedCount": 0,
        "InstalledPendingRebootCount": 0,
        **counts,
    }


def _metadata(hop_limit: int | None, endpoint: str = "enabled") -> dict:
    options = {"HttpTokens": "required", "HttpEndpoint": endpoint}
    if hop_limit is not None:
        options["HttpPutResponseHopLimit"] = hop_limit
    return _instance(MetadataOptions=options)


SSM_DENIED = Example(_instance(), missing={"SsmManaged": DENIED, "PatchState": DENIED})

CASES = {
    "EC2_IMDSV2_REQUIRED": {
        "FAIL": [
            {"MetadataOptions": {"HttpTokens": "optional", "HttpEndpoint": "enabled"}},
            {"MetadataOptions": {}},
        ],
        "PASS": [
            {"MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"}},
            {"MetadataOptions": {"HttpTokens": "optional", "HttpEndpoint": "disabled"}},
        ],
    },
    "EC2_IMDS_HOP_LIMIT": {
        "FAIL": [
            _metadata(2),
            _metadata(64),
            # Stopped instances keep the setting and apply it at the next start.
            _instance("stopped", MetadataOptions={"HttpPutResponseHopLimit": 3}),
        ],
        "PASS": [_metadata(1), _metadata(5, endpoint="disabled")],
        "NOT_EVALUATED": [_metadata(None)],
    },
    "EC2_PUBLIC_IPV4": {
        "FAIL": [
            _instance(PublicIpAddress="203.0.113.10"),
            # An Elastic IP on a secondary interface, none on eth0.
            _instance(NetworkInterfaces=[{}, _interface("203.0.113.11", owner="123456789012")]),
            # A stopped instance keeps its Elastic IP.
            _instance("stopped", PublicIpAddress="203.0.113.12"),
        ],
        "PASS": [_instance(), _instance(PublicIpAddress="")],
    },
    "EC2_INTERNET_FACING_WITH_PROFILE": {
        "FAIL": [
            _instance(PublicIpAddress="203.0.113.10", IamInstanceProfile=PROFILE),
            _instance(NetworkInterfaces=[_interface("203.0.113.11")], IamInstanceProfile=PROFILE),
        ],
        "PASS": [
            _instance(PublicIpAddress="203.0.113.10"),
            _instance(IamInstanceProfile=PROFILE),
        ],
    },
    "EC2_INSTANCE_PROFILE_ATTACHED": {
        "FAIL": [_instance(), _instance("stopped")],
        "PASS": [_instance(IamInstanceProfile=PROFILE)],
    },
    "EC2_DETAILED_MONITORING": {
        "FAIL": [_instance(), _instance(Monitoring={"State": "disabling"})],
        "PASS": [
            _instance(Monitoring={"State": "enabled"}),
            _instance(Monitoring={"State": "pending"}),
        ],
    },
    "EC2_STOPPED_TOO_LONG": {
        "FAIL": [
            _instance("stopped", StateTransitionReason="User initiated (2001-01-01 10:20:30 GMT)"),
            # moto's form of the same reason.
            _instance("stopped", StateTransitionReason="User initiated (2001-01-01 10:20:30 UTC)"),
            # No date in the reason: the launch time bounds the stop time.
            _instance("stopped", StateTransitionReason="", LaunchTime=LONG_AGO),
        ],
        "PASS": [
            _instance(
                "stopped",
                StateTransitionReason=f"User initiated ({RECENT:%Y-%m-%d %H:%M:%S} GMT)",
                LaunchTime=LONG_AGO,
            ),
            _instance("stopped", StateTransitionReason="Server.ScheduledStop"),
        ],
        "NOT_EVALUATED": [
            _instance("stopped", StateTransitionReason="", LaunchTime=None),
        ],
    },
    "EC2_INSTANCE_TOO_OLD": {
        "FAIL": [_instance(LaunchTime=LONG_AGO)],
        "PASS": [
            _instance(),
            # A naive datetime is UTC, not a crash.
            _instance(LaunchTime=RECENT.replace(tzinfo=None)),
        ],
    },
    "EC2_PARAVIRTUAL": {
        "FAIL": [_instance(VirtualizationType="paravirtual")],
        "PASS": [_instance()],
        "NOT_EVALUATED": [_instance(VirtualizationType=None)],
    },
    "EC2_SSM_MANAGED": {
        "FAIL": [
            _instance(),
            _instance(SsmManaged=_managed("ConnectionLost")),
            _instance(SsmManaged=_managed("Inactive")),
        ],
        "PASS": [_instance(SsmManaged=_managed())],
        # Unknown is not unmanaged: a denied SSM call must not read as "no agent".
        "NOT_EVALUATED": [SSM_DENIED],
    },
    "EC2_SSM_AGENT_OUTDATED": {
        "FAIL": [
            _instance(SsmManaged=_managed(latest=False)),
            _instance("stopped", SsmManaged=_managed("ConnectionLost", latest=False)),
        ],
        "PASS": [_instance(SsmManaged=_managed())],
        "NOT_EVALUATED": [SSM_DENIED, _instance(SsmManaged=_managed(latest=None))],
    },
    "EC2_PATCH_NONCOMPLIANT": {
        "FAIL": [
            _instance(SsmManaged=_managed(), PatchState=_patch(MissingCount=3)),
            _instance(SsmManaged=_managed(), PatchState=_patch(FailedCount=1)),
            _instance(SsmManaged=_managed(), PatchState=_patch(CriticalNonCompliantCount=1)),
            _instance(SsmManaged=_managed(), PatchState=_patch(SecurityNonCompliantCount=2)),
            # A stopped instance starts again with the patches it was missing.
            _instance(
                "stopped", SsmManaged=_managed("ConnectionLost"), PatchState=_patch(MissingCount=1)
            ),
        ],
        "PASS": [
            _instance(SsmManaged=_managed(), PatchState=_patch()),
            # Installed but pending a reboot is reported, not counted as missing.
            _instance(SsmManaged=_managed(), PatchState=_patch(InstalledPendingRebootCount=2)),
            # Older agents omit the severity counts.
            _instance(
                SsmManaged=_managed(),
                PatchState={"Operation": "Install", "MissingCount": 0, "FailedCount": 0},
            ),
        ],
        "NOT_EVALUATED": [
            SSM_DENIED,
            Example(_instance(SsmManaged=_managed()), missing={"PatchState": PATCH_DENIED}),
        ],
    },
    "EC2_PATCH_SCAN_STALE": {
        "FAIL": [
            _instance(SsmManaged=_managed(), PatchState=_patch(end=LONG_AGO)),
            # Managed but never scanned.
            _instance(SsmManaged=_managed(), PatchState=None),
            _instance(SsmManaged=_managed(), PatchState={"Operation": "Scan"}),
        ],
        "PASS": [_instance(SsmManaged=_managed(), PatchState=_patch(MissingCount=4))],
        "NOT_EVALUATED": [
            SSM_DENIED,
            Example(_instance(SsmManaged=_managed()), missing={"PatchState": PATCH_DENIED}),
        ],
    },
}
