"""Reading the IAM credential report's columns, for the evaluators of its rows (users and root).

The report is CSV: every value is a string, dates are ISO 8601, and placeholders stand for "no
such date".
"""

from datetime import UTC, datetime
from typing import Any

# Placeholders for "no such date": never used, no information, not applicable.
REPORT_NO_DATE = frozenset({"N/A", "no_information", "not_supported", ""})
ACCESS_KEY_SLOTS = (1, 2)


def report_date(value: Any) -> datetime | None:
    """A credential-report timestamp as an aware datetime; None for the report's placeholders."""
    if not isinstance(value, str) or value in REPORT_NO_DATE:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def is_true(value: Any) -> bool:
    return str(value).lower() == "true"
