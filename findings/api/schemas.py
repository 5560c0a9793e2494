"""Request and response bodies of the API, as Pydantic schemas (they make the OpenAPI schema)."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class ErrorOut(Schema):
    detail: str


class FieldErrorsOut(Schema):
    detail: str
    # Field name (or "__all__") -> messages; never the submitted values.
    errors: dict[str, list[str]]


class ScanIn(Schema):
    """The New scan form's fields. The keys are used to start the scan and never returned."""

    access_key_id: str = ""
    secret_access_key: str = ""
    session_token: str = ""
    role_arn: str = ""
    external_id: str = ""
    expires_at: str = Field("", description="When temporary keys expire, e.g. 2026-11-27 18:30")
    start_anyway: bool = False
    regions: list[str] = Field(default_factory=list, description="Empty: every enabled region")


class RegionProgressOut(Schema):
    region: str
    status: str
    collectors_total: int
    collectors_done: int
    resources_collected: int
    findings_count: int
    failed_count: int
    error: str
    started_at: datetime | None
    finished_at: datetime | None


class ScanOut(Schema):
    id: str
    account_label: str
    source: str
    status: str
    regions: list[str]
    created_at: datetime
    finished_at: datetime | None
    error: str
    severity_counts: dict[str, int] = Field(description="Failing findings by severity")
    finding_counts: dict[str, dict[str, int]]

    @staticmethod
    def resolve_id(scan: Any) -> str:
        return str(scan.id)


class ScanDetailOut(ScanOut):
    progress: list[RegionProgressOut]


class ScanPageOut(Schema):
    items: list[ScanOut]
    next_cursor: str | None


class FindingOut(Schema):
    id: int
    scan_id: str
    rule_id: str
    title: str
    service: str
    severity: str
    status: str
    region: str
    resource_type: str
    resource_hash: str
    evidence: dict[str, Any]
    compliance: dict[str, Any]
    muted: bool = False

    @staticmethod
    def resolve_scan_id(finding: Any) -> str:
        return str(finding.scan_id)


class FindingPageOut(Schema):
    scan_id: str
    items: list[FindingOut]
    next_cursor: str | None


class DiffCategoryOut(Schema):
    count: int
    findings: list[FindingOut]


class DiffOut(Schema):
    base: ScanOut
    head: ScanOut
    categories: dict[str, DiffCategoryOut]


class MuteIn(Schema):
    finding_id: int
    scope: str = Field("finding", description='"finding" (this finding only) or "rule"')
    justification: str
    owner: int | None = Field(None, description="The owner's user id; the token's user if none")
    expires_on: str = Field(description="A date in the future, YYYY-MM-DD")


class MuteOut(Schema):
    id: int
    account_label: str
    rule_id: str
    fingerprint: str
    whole_rule: bool
    justification: str
    owner: str
    created_by: str | None
    expires_at: datetime
    created_at: datetime

    @staticmethod
    def resolve_whole_rule(mute: Any) -> bool:
        return not mute.fingerprint

    @staticmethod
    def resolve_owner(mute: Any) -> str:
        return mute.owner.get_username()

    @staticmethod
    def resolve_created_by(mute: Any) -> str | None:
        return mute.created_by.get_username() if mute.created_by else None


class RuleOut(Schema):
    id: str
    title: str
    service: str
    resource_type: str
    severity: str
    catalog_severity: str
    enabled: bool
    frameworks: list[str]
    compliance: dict[str, Any]
