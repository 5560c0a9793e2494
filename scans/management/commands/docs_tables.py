from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from scans.management.readme import rewritten, stale_tables


class Command(BaseCommand):
    help = (
        "Write (--write) or check (--check) the README's generated tables: IAM policy, ARN "
        "forms and compliance coverage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--write", action="store_true", help="rewrite the tables in place")
        mode.add_argument(
            "--check", action="store_true", help="exit non-zero when a table is stale"
        )
        parser.add_argument("--readme", type=Path, default=Path(settings.BASE_DIR) / "README.md")

    def handle(self, *args, write: bool, check: bool, readme: Path, **options) -> None:
        text = readme.read_text()
        try:
            updated = rewritten(text)
        except ValueError as error:
            raise CommandError(f"{readme}: {error}") from None
        stale = stale_tables(text)
        if check:
            if stale:
                raise CommandError(
                    f"{readme}: stale: {', '.join(stale)}; run `manage.py docs_tables --write`"
                )
            self.stdout.write(f"{readme}: up to date")
            return
        if updated != text:
            readme.write_text(updated)
        self.stdout.write(f"{readme}: {', '.join(stale) or 'nothing'} rewritten")
