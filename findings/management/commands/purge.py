"""Delete old scans with their findings (the schedule does the same daily)."""

import re
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from findings.retention import scans_purge

UNITS = {"d": "days", "h": "hours"}


def parse_age(value: str) -> timedelta:
    """`90d` or `36h`."""
    match = re.fullmatch(r"(\d{1,5})([dh])", value.strip())
    if not match:
        raise ValueError(f"{value!r} is not an age such as 90d or 36h")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


class Command(BaseCommand):
    help = "Delete scans started longer ago than --older-than, with their findings, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            help="age such as 90d or 36h (default: FINDINGS_RETENTION_DAYS days)",
        )

    def handle(self, *args: object, older_than: str | None, **options: object) -> None:
        if older_than is None:
            if settings.FINDINGS_RETENTION_DAYS <= 0:
                raise CommandError("FINDINGS_RETENTION_DAYS is 0: give --older-than.")
            age = timedelta(days=settings.FINDINGS_RETENTION_DAYS)
        else:
            try:
                age = parse_age(older_than)
            except ValueError as error:
                raise CommandError(str(error)) from None
        result = scans_purge(older_than=age)
        self.stdout.write(f"Deleted {result.scans} scans and {result.findings} findings.")
