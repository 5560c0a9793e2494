from rules.evaluators import Result, evaluator
from scans.inventory import Resource


@evaluator("iam_root_mfa_enabled")
def iam_root_mfa_enabled(resource: Resource, *, params: dict) -> Result:
    enabled = resource.data.get("SummaryMap", {}).get("AccountMFAEnabled") == 1
    return Result("PASS" if enabled else "FAIL", {"root_mfa_enabled": enabled})
