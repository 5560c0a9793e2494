"""A finding's stored columns, declared once: the store writes them, the exports read them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FindingColumn:
    name: str
    # A JSON value: the store writes it as JSON text, and a CSV export cell holds it as JSON.
    is_json: bool = False
    # Exported fields are a contract with the pipelines that parse them (test_export_contract).
    # The scan's id is in an export's scan section, and the fingerprint is a hash of the rule
    # id, resource hash and region that each exported finding already carries.
    exported: bool = True


# In the order of the store's rows.
FINDING_COLUMNS = (
    FindingColumn("scan_id", exported=False),
    FindingColumn("rule_id"),
    FindingColumn("title"),
    FindingColumn("service"),
    FindingColumn("severity"),
    FindingColumn("status"),
    FindingColumn("region"),
    FindingColumn("resource_type"),
    FindingColumn("resource_hash"),
    FindingColumn("evidence", is_json=True),
    FindingColumn("compliance", is_json=True),
    FindingColumn("fingerprint", exported=False),
)
STORED_COLUMNS = tuple(column.name for column in FINDING_COLUMNS)
EXPORTED_COLUMNS = tuple(column.name for column in FINDING_COLUMNS if column.exported)
JSON_COLUMNS = frozenset(column.name for column in FINDING_COLUMNS if column.is_json)
