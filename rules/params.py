"""What an evaluator's params may hold: a type, and a check of the value the evaluator relies on.

The loader applies them, so a rule whose params the evaluator cannot use (a port written as a
name, a protocol it does not know, a calendar key YAML read as a number) is rejected with its
file, rule id and field, instead of raising, or quietly passing, during a scan.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

# A value's problem in words, or None when the value is fine.
Check = Callable[[Any], str | None]

MIN_PORT, MAX_PORT = 0, 65535
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# How a type reads in an error message about a YAML value.
TYPE_NAMES = {
    bool: "true or false",
    int: "an integer",
    str: "a string",
    list: "a list",
    dict: "a mapping",
}


@dataclass(frozen=True)
class Param:
    type: type
    check: Check | None = None

    def problem(self, value: Any) -> str | None:
        # bool is a subclass of int, but `true` is no count of days.
        if not isinstance(value, self.type) or (isinstance(value, bool) and self.type is not bool):
            return f"must be {TYPE_NAMES.get(self.type, self.type.__name__)}"
        return self.check(value) if self.check else None


def integer(*, minimum: int, maximum: int | None = None) -> Param:
    def check(value: int) -> str | None:
        if value < minimum or (maximum is not None and value > maximum):
            upper = "" if maximum is None else f" and at most {maximum}"
            return f"must be at least {minimum}{upper}"
        return None

    return Param(int, check)


def one_of(choices: Iterable[str]) -> Param:
    allowed = tuple(choices)

    def check(value: str) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}"

    return Param(str, check)


def list_of(item: Param, *, allow_empty: bool = False) -> Param:
    def check(values: list) -> str | None:
        if not values and not allow_empty:
            return "must not be empty"
        for index, value in enumerate(values):
            if problem := item.problem(value):
                return f"item {index} ({value!r}) {problem}"
        return None

    return Param(list, check)


def iso_date_problem(value: Any) -> str | None:
    """None for a YYYY-MM-DD date (YAML gives a date object when the text is unquoted)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return None
    # fromisoformat alone also takes "20261127" and week dates.
    if not (isinstance(value, str) and ISO_DAY.match(value)):
        return "must be an ISO date (YYYY-MM-DD)"
    try:
        date.fromisoformat(value)
    except ValueError:
        return "must be an ISO date (YYYY-MM-DD)"
    return None


FLAG = Param(bool)
DAYS = integer(minimum=0)
ISO_DATE = Param(str, iso_date_problem)
PORT = integer(minimum=MIN_PORT, maximum=MAX_PORT)
PORTS = list_of(PORT)
# Names only: the evaluators compare ports, which only tcp and udp carry.
PROTOCOL_NAMES = list_of(one_of(("tcp", "udp")))
TEXTS = list_of(Param(str, lambda value: None if value.strip() else "must not be blank"))
