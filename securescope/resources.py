"""The collection contract: plain resources handed from collectors to rules."""

from dataclasses import dataclass, field
from typing import Any

# The pseudo-region of account-wide resources (IAM, S3, CloudTrail, ...).
GLOBAL_REGION = "global"


@dataclass(frozen=True)
class Resource:
    """One AWS resource, or an account- or region-level setting treated as one.

    `arn` is only ever used to compute the resource hash; `data` is the API response the
    collector saw (boto3 shapes), read by evaluators and never stored.
    """

    type: str
    arn: str
    region: str
    data: dict[str, Any] = field(default_factory=dict)
