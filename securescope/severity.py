"""The shared vocabulary of results: how severe a rule is, and what one evaluation found."""

from django.db import models


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    INFO = "info", "Informational"

    @classmethod
    def rank(cls, value: str) -> int:
        """0 for the most severe; used for sorting and `--fail-on` thresholds."""
        return _RANKS[value]

    @classmethod
    def at_or_above(cls, value: str) -> list[str]:
        return list(cls.values)[: cls.rank(value) + 1]

    @classmethod
    def rank_expression(cls) -> models.Case:
        """0 for critical ... 4 for info in SQL, so severity sorts by meaning; an index on the
        same expression serves the findings page's severity sort."""
        return models.Case(
            *(
                models.When(severity=value, then=models.Value(rank))
                for rank, value in enumerate(cls.values)
            ),
            output_field=models.IntegerField(),
        )


# Built once: Severity.values builds its list anew on every call, and rank() sorts thousands.
_RANKS = {value: rank for rank, value in enumerate(Severity.values)}


class FindingStatus(models.TextChoices):
    FAIL = "FAIL", "Fail"
    PASS = "PASS", "Pass"
    # The data needed to decide was missing (permission denied, API unavailable): never PASS.
    NOT_EVALUATED = "NOT_EVALUATED", "Not evaluated"
