"""Cancel a running scan: its credentials are deleted at once, its workers stop."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from scans.lifecycle.services import scan_cancel
from scans.models import Scan


class Command(BaseCommand):
    help = "Cancel a running scan by id; workers stop at their next AWS call."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scan_id")

    def handle(self, *args: object, scan_id: str, **options: object) -> None:
        try:
            cancelled = scan_cancel(scan_id=scan_id)
        except (Scan.DoesNotExist, ValidationError):
            raise CommandError(f"No scan {scan_id}.") from None
        self.stdout.write("Cancelled." if cancelled else "The scan had already ended.")
