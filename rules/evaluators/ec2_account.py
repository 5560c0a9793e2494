"""A region's account-level EC2 settings: IMDS defaults, block public access for snapshots and
AMIs, and serial console access. Each is one resource per region."""

from rules.evaluators import Result, evaluator
from rules.params import list_of, one_of
from securescope.resources import Resource

SNAPSHOT_BLOCK_STATES = ("block-all-sharing", "block-new-sharing", "unblocked")


@evaluator("account_imds_defaults_require_v2")
def account_imds_defaults_require_v2(resource: Resource, *, params: dict) -> Result:
    """FAIL unless new instances in the region default to IMDSv2 only."""
    defaults = resource.data.get("AccountLevel") or {}
    evidence = {
        "http_tokens": defaults.get("HttpTokens") or "not set",
        "http_tokens_enforced": defaults.get("HttpTokensEnforced") or "not set",
        "http_put_response_hop_limit": defaults.get("HttpPutResponseHopLimit"),
        "managed_by": defaults.get("ManagedBy") or "account",
    }
    return Result("PASS" if defaults.get("HttpTokens") == "required" else "FAIL", evidence)


@evaluator(
    "snapshot_block_public_access",
    params={"passing_states": list_of(one_of(SNAPSHOT_BLOCK_STATES))},
    required=("passing_states",),
)
def snapshot_block_public_access(resource: Resource, *, params: dict) -> Result:
    state = resource.data.get("State") or "unblocked"
    evidence = {"state": state, "managed_by": resource.data.get("ManagedBy") or "account"}
    return Result("PASS" if state in params["passing_states"] else "FAIL", evidence)


@evaluator("image_block_public_access")
def image_block_public_access(resource: Resource, *, params: dict) -> Result:
    state = resource.data.get("ImageBlockPublicAccessState") or "unblocked"
    evidence = {"state": state, "managed_by": resource.data.get("ManagedBy") or "account"}
    return Result("PASS" if state == "block-new-sharing" else "FAIL", evidence)


@evaluator("serial_console_access_disabled")
def serial_console_access_disabled(resource: Resource, *, params: dict) -> Result:
    enabled = resource.data.get("SerialConsoleAccessEnabled") is True
    evidence = {
        "serial_console_access_enabled": enabled,
        "managed_by": resource.data.get("ManagedBy") or "account",
    }
    return Result("FAIL" if enabled else "PASS", evidence)
