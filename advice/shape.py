"""The evidence shape: what a finding's advice depends on, without what makes it unique.

Ports, flags, versions and enumerations decide the advice ("port 22 open to the world",
"IMDSv1 allowed", "Kubernetes 1.28"); day counts, dates and sizes only say how bad one resource
is. Scalar numbers and date-like strings are replaced by a placeholder, so a thousand instances
launched on different days share one shape and one generation. Numbers inside lists (open
ports) are kept: they are the substance of the finding. Resource hashes (the links an exposure
path is built from) name one resource and say nothing the advice needs: they become a
placeholder too, and so never reach a prompt, where a hash with twelve digits in a row would
read as an account id and refuse it.
"""

import hashlib
import json
import re
from typing import Any

NUMBER = "<number>"
DATE = "<date>"
RESOURCE = "<resource>"
_RESOURCE_HASH = re.compile(r"^[0-9a-f]{64}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")


def _normalized(value: Any, *, in_list: bool) -> Any:
    if isinstance(value, dict):
        return {str(key): _normalized(item, in_list=False) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalized(item, in_list=True) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value if in_list else NUMBER
    if isinstance(value, str) and _DATE.match(value):
        return DATE
    if isinstance(value, str) and _RESOURCE_HASH.match(value):
        return RESOURCE
    return value


def evidence_shape(evidence: dict[str, Any]) -> dict[str, Any]:
    return _normalized(evidence, in_list=False)


def shape_key(rule_id: str, evidence: dict[str, Any]) -> str:
    canonical = json.dumps(
        [rule_id, evidence_shape(evidence)], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
