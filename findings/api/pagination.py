"""Cursor (keyset) pagination: a page starts after the last row of the one before, so a deep
page costs what the first does and rows added meanwhile never shift a page."""

from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet
from ninja.errors import HttpError

CURSOR_SALT = "securescope.api.cursor"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500


def _after(order: list[str], values: list[Any]) -> Q:
    """Rows after `values` in `order` (each key ascending, or descending with a leading -)."""
    condition = Q()
    for index, key in enumerate(order):
        name = key.lstrip("-")
        step = Q(**{f"{name}__lt" if key.startswith("-") else f"{name}__gt": values[index]})
        for earlier, value in zip(order[:index], values[:index], strict=True):
            step &= Q(**{earlier.lstrip("-"): value})
        condition |= step
    return condition


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def keyset_page(queryset: QuerySet, *, cursor: str, limit: int) -> tuple[list[Any], str | None]:
    """One page of an ordered queryset whose order is total, and the cursor of the next page."""
    order = [str(key) for key in queryset.query.order_by]
    if cursor:
        try:
            values = signing.loads(cursor, salt=CURSOR_SALT)
        except signing.BadSignature:
            raise HttpError(400, "The cursor is not one this API handed out.") from None
        if not isinstance(values, list) or len(values) != len(order):
            raise HttpError(400, "The cursor belongs to another ordering.")
        queryset = queryset.filter(_after(order, values))
    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    values = [_plain(getattr(last, key.lstrip("-"))) for key in order]
    return rows, signing.dumps(values, salt=CURSOR_SALT)
