"""Amazon Inspector: whether it scans the region's EC2 instances and ECR images, and the active
findings it reports on each instance (counts by severity)."""

from rules.evaluators import Result, evaluator, missing_data
from rules.params import list_of, one_of
from securescope.resources import Resource

SCAN_KINDS = ("ec2", "ecr", "lambda")
SEVERITIES = ("critical", "high", "medium")


@evaluator(
    "inspector_scanning_enabled",
    params={"kind": one_of(SCAN_KINDS)},
    required=("kind",),
)
def inspector_scanning_enabled(resource: Resource, *, params: dict) -> Result:
    state = (resource.data.get("ResourceState") or {}).get(params["kind"]) or {}
    status = state.get("status") or "DISABLED"
    evidence = {"scan_kind": params["kind"], "status": status}
    if status != "ENABLED" and state.get("errorCode"):
        evidence["error_code"] = state["errorCode"]
    return Result("PASS" if status == "ENABLED" else "FAIL", evidence)


@evaluator(
    "instance_inspector_findings",
    params={"severities": list_of(one_of(SEVERITIES))},
    required=("severities",),
)
def instance_inspector_findings(resource: Resource, *, params: dict) -> Result | None:
    """FAIL while Inspector reports active findings of `severities` on the instance; not
    evaluated when Inspector does not scan it (scanning off, or the instance not covered)."""
    if resource.data.get("State", {}).get("Name") not in (None, "running", "pending"):
        return None
    if unknown := missing_data(resource, "InspectorFindings"):
        return unknown
    counts = resource.data.get("InspectorFindings")
    if counts is None:
        reason = resource.data.get("InspectorScan") or "Inspector findings not collected"
        return Result("NOT_EVALUATED", {"reason": f"Amazon Inspector: {reason}"})
    evidence = {severity: int(counts.get(severity) or 0) for severity in SEVERITIES}
    failing = sum(evidence[severity] for severity in params["severities"])
    return Result("FAIL" if failing else "PASS", {**evidence, "counted": params["severities"]})
