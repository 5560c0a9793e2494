"""EC2 instance hardening and patch hygiene (docs/controls.md).

Instances come from the ec2.instances collector: DescribeInstances items (terminated ones left
out) joined with Systems Manager as `SsmManaged` (the DescribeInstanceInformation entry, or None
when unmanaged) and `PatchState` (the DescribeInstancePatchStates entry, or None). A failed SSM
call leaves both in `Resource.missing`.
"""

import re
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from rules.evaluators import Result, evaluator, missing_data
from rules.params import DAYS, FLAG, integer
from securescope.resources import Resource

# "User initiated (2024-01-15 10:20:30 GMT)"; moto writes UTC instead of GMT.
TRANSITION_DATE = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)")
# Monitoring.State values that mean detailed monitoring is on or being turned on.
DETAILED_MONITORING_STATES = frozenset({"enabled", "pending"})
PATCH_FAILURE_COUNTS = {
    "MissingCount": "missing_count",
    "FailedCount": "failed_count",
    "CriticalNonCompliantCount": "critical_noncompliant_count",
    "SecurityNonCompliantCount": "security_noncompliant_count",
}


def _state(resource: Resource) -> str:
    return resource.data.get("State", {}).get("Name", "")


def _aware(value: Any) -> datetime | None:
    """boto3 datetimes carry tzutc; a naive one is read as UTC rather than local time."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _days_since(moment: datetime) -> int:
    return (timezone.now() - moment).days


def _public_ipv4(data: dict[str, Any]) -> tuple[int, bool]:
    """How many public IPv4 addresses the instance holds, and whether one is an Elastic IP.

    A secondary interface can carry an Elastic IP while `PublicIpAddress` (eth0's) is empty.
    """
    addresses = {data["PublicIpAddress"]} if data.get("PublicIpAddress") else set()
    elastic = False
    for interface in data.get("NetworkInterfaces", []):
        association = interface.get("Association") or {}
        if association.get("PublicIp"):
            addresses.add(association["PublicIp"])
            # Auto-assigned addresses are owned by "amazon"; an Elastic IP by the account.
            elastic = elastic or association.get("IpOwnerId", "amazon") != "amazon"
    return len(addresses), elastic


@evaluator("instance_imdsv2_required")
def instance_imdsv2_required(resource: Resource, *, params: dict) -> Result:
    """FAIL while the metadata endpoint is on and answers IMDSv1 (token optional)."""
    options = resource.data.get("MetadataOptions", {})
    tokens = options.get("HttpTokens", "optional")
    endpoint = options.get("HttpEndpoint", "enabled")
    evidence = {
        "http_tokens": tokens,
        "http_endpoint": endpoint,
        "http_put_response_hop_limit": options.get("HttpPutResponseHopLimit"),
    }
    if endpoint == "enabled" and tokens != "required":
        return Result("FAIL", evidence)
    return Result("PASS", evidence)


@evaluator(
    "instance_imds_hop_limit",
    # The range ModifyInstanceMetadataOptions accepts.
    params={"max_hop_limit": integer(minimum=1, maximum=64)},
    required=("max_hop_limit",),
)
def instance_imds_hop_limit(resource: Resource, *, params: dict) -> Result:
    """FAIL when IMDS token responses may travel more hops than allowed (into containers).

    Applies to stopped instances too: the setting takes effect again at the next start.
    """
    options = resource.data.get("MetadataOptions", {})
    endpoint = options.get("HttpEndpoint", "enabled")
    hop_limit = options.get("HttpPutResponseHopLimit")
    evidence = {
        "http_endpoint": endpoint,
        "http_tokens": options.get("HttpTokens"),
        "http_put_response_hop_limit": hop_limit,
        "max_hop_limit": params["max_hop_limit"],
    }
    if endpoint == "disabled":
        return Result("PASS", evidence)
    if hop_limit is None:
        return Result("NOT_EVALUATED", {**evidence, "reason": "no hop limit reported"})
    return Result("FAIL" if hop_limit > params["max_hop_limit"] else "PASS", evidence)


@evaluator("instance_public_ipv4", params={"only_with_instance_profile": FLAG})
def instance_public_ipv4(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when the instance holds a public IPv4 address (optionally: and an instance profile).

    A stopped instance has no auto-assigned address and whether it gets one at the next start is
    not in the response, so it is judged only when it still holds one (an Elastic IP).
    """
    count, elastic = _public_ipv4(resource.data)
    if not count and _state(resource) != "running":
        return None
    profile = bool(resource.data.get("IamInstanceProfile", {}).get("Arn"))
    evidence = {"public_ipv4_count": count, "elastic_ip": elastic, "state": _state(resource)}
    if params.get("only_with_instance_profile"):
        evidence["instance_profile_attached"] = profile
        exposed = bool(count) and profile
    else:
        exposed = bool(count)
    return Result("FAIL" if exposed else "PASS", evidence)


@evaluator("instance_profile_attached")
def instance_profile_attached(resource: Resource, *, params: dict) -> Result:
    """FAIL without an instance profile: software on it then needs long-lived keys."""
    attached = bool(resource.data.get("IamInstanceProfile", {}).get("Arn"))
    return Result("PASS" if attached else "FAIL", {"instance_profile_attached": attached})


@evaluator("instance_detailed_monitoring")
def instance_detailed_monitoring(resource: Resource, *, params: dict) -> Result:
    # Basic monitoring ("disabled") is the default, so an absent state is not detailed.
    state = resource.data.get("Monitoring", {}).get("State", "disabled")
    passed = state in DETAILED_MONITORING_STATES
    return Result("PASS" if passed else "FAIL", {"monitoring_state": state})


@evaluator("instance_stopped_too_long", params={"allowed_days": DAYS}, required=("allowed_days",))
def instance_stopped_too_long(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when a stopped instance has been stopped for more than `allowed_days`.

    The stop time is only in the free-text StateTransitionReason; without one the launch time is
    the bound Security Hub uses (EC2.4), which can only overstate how recently it ran.
    """
    if _state(resource) != "stopped":
        return None
    match = TRANSITION_DATE.search(resource.data.get("StateTransitionReason") or "")
    if match:
        since = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        source = "state_transition_reason"
    else:
        since = _aware(resource.data.get("LaunchTime"))
        source = "launch_time"
    if since is None:
        return Result("NOT_EVALUATED", {"reason": "no stop or launch time reported"})
    days = _days_since(since)
    evidence = {
        "stopped_since": since.date().isoformat(),
        "date_source": source,
        "stopped_days": days,
        "allowed_days": params["allowed_days"],
    }
    return Result("FAIL" if days > params["allowed_days"] else "PASS", evidence)


@evaluator("instance_too_old", params={"max_age_days": DAYS}, required=("max_age_days",))
def instance_too_old(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when a running instance was launched more than `max_age_days` ago."""
    if _state(resource) != "running":
        return None
    launched = _aware(resource.data.get("LaunchTime"))
    if launched is None:
        return Result("NOT_EVALUATED", {"reason": "no launch time reported"})
    days = _days_since(launched)
    evidence = {
        "launch_date": launched.date().isoformat(),
        "age_days": days,
        "max_age_days": params["max_age_days"],
    }
    return Result("FAIL" if days > params["max_age_days"] else "PASS", evidence)


@evaluator("instance_not_paravirtual")
def instance_not_paravirtual(resource: Resource, *, params: dict) -> Result:
    virtualization = resource.data.get("VirtualizationType")
    evidence = {"virtualization_type": virtualization}
    if virtualization == "paravirtual":
        return Result("FAIL", evidence)
    if virtualization == "hvm":
        return Result("PASS", evidence)
    return Result("NOT_EVALUATED", {**evidence, "reason": "no virtualization type reported"})


def _last_ping(information: dict[str, Any]) -> str | None:
    moment = _aware(information.get("LastPingDateTime"))
    return moment.date().isoformat() if moment else None


@evaluator("instance_ssm_managed")
def instance_ssm_managed(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when a running instance is not an SSM managed node, or its agent is not Online.

    Pending and stopped instances are skipped: their agent cannot be online.
    """
    if _state(resource) != "running":
        return None
    missing = missing_data(resource, "SsmManaged")
    if missing:
        return missing
    information = resource.data.get("SsmManaged")
    if information is None:
        return Result("FAIL", {"ssm_managed": False})
    status = information.get("PingStatus")
    evidence = {"ssm_managed": True, "ping_status": status, "last_ping": _last_ping(information)}
    return Result("PASS" if status == "Online" else "FAIL", evidence)


@evaluator("instance_ssm_agent_current")
def instance_ssm_agent_current(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when SSM reports that the agent is not the latest version.

    Unmanaged instances are EC2_SSM_MANAGED's concern. SSM leaves IsLatestVersion out where it
    cannot tell (Windows nodes still on EC2Config), which is not evaluated rather than a PASS.
    """
    missing = missing_data(resource, "SsmManaged")
    if missing:
        return missing
    information = resource.data.get("SsmManaged")
    if information is None:
        return None
    latest = information.get("IsLatestVersion")
    evidence = {
        "agent_version": information.get("AgentVersion"),
        "is_latest_version": latest,
        "platform_type": information.get("PlatformType"),
    }
    if latest is None:
        return Result("NOT_EVALUATED", {**evidence, "reason": "SSM does not report the latest"})
    return Result("PASS" if latest else "FAIL", evidence)


@evaluator("instance_patch_compliant")
def instance_patch_compliant(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when the last patch operation found missing, failed or non-compliant patches.

    Unmanaged instances (EC2_SSM_MANAGED) and managed ones never scanned (EC2_PATCH_SCAN_STALE)
    belong to other rules. A stopped instance keeps its last known state: it starts unpatched.
    """
    missing = missing_data(resource, "SsmManaged", "PatchState")
    if missing:
        return missing
    state = resource.data.get("PatchState")
    if resource.data.get("SsmManaged") is None or state is None:
        return None
    evidence: dict[str, Any] = {
        key: state.get(field) or 0 for field, key in PATCH_FAILURE_COUNTS.items()
    }
    evidence["installed_pending_reboot_count"] = state.get("InstalledPendingRebootCount") or 0
    evidence["operation"] = state.get("Operation")
    ended = _aware(state.get("OperationEndTime"))
    evidence["operation_end"] = ended.date().isoformat() if ended else None
    failed = any(evidence[key] > 0 for key in PATCH_FAILURE_COUNTS.values())
    return Result("FAIL" if failed else "PASS", evidence)


@evaluator("instance_patch_scan_fresh", params={"max_days": DAYS}, required=("max_days",))
def instance_patch_scan_fresh(resource: Resource, *, params: dict) -> Result | None:
    """FAIL when a running managed instance has no patch data, or none newer than `max_days`.

    Stale data makes EC2_PATCH_NONCOMPLIANT's PASS meaningless. Stopped instances cannot be
    scanned, so they are skipped.
    """
    if _state(resource) != "running":
        return None
    missing = missing_data(resource, "SsmManaged", "PatchState")
    if missing:
        return missing
    if resource.data.get("SsmManaged") is None:
        return None
    state = resource.data.get("PatchState")
    ended = _aware(state.get("OperationEndTime")) if state else None
    if ended is None:
        return Result("FAIL", {"patch_state": state is not None, "max_days": params["max_days"]})
    days = _days_since(ended)
    evidence = {
        "patch_state": True,
        "operation": state.get("Operation"),
        "operation_end": ended.date().isoformat(),
        "age_days": days,
        "max_days": params["max_days"],
    }
    return Result("FAIL" if days > params["max_days"] else "PASS", evidence)
