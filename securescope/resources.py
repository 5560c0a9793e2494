"""The collection contract: plain resources handed from collectors to rules."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The pseudo-region of account-wide resources (IAM, S3, CloudTrail, ...).
GLOBAL_REGION = "global"


@dataclass(frozen=True)
class Resource:
    """One AWS resource, or an account- or region-level setting treated as one.

    `arn` is only ever used to compute the resource hash; `data` is the API response the
    collector saw (boto3 shapes), read by evaluators and never stored. A rule never reads an
    absent field as a PASS: `missing` names the fields the collector could not read, and
    `not_collected` marks the stand-in for a whole type the unit could not list.
    """

    type: str
    arn: str
    region: str
    data: dict[str, Any] = field(default_factory=dict)
    # Data field -> why it could not be read ("missing permission (AccessDenied): s3:GetX").
    missing: Mapping[str, str] = field(default_factory=dict)
    # Why no resource of this type could be listed; its rules report NOT_EVALUATED with it.
    not_collected: str | None = None
