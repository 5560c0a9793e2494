"""Write the demo account's exports to samples/, or check that they are current."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from findings.samples import SAMPLES_DIR, sample_exports, stale_samples


class Command(BaseCommand):
    help = (
        "Scan the in-process demo account and write its export in every format to samples/ "
        "(--write), or fail when a committed sample differs from what the code produces."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="write the files")

    def handle(self, *args, write: bool, **options) -> None:
        exports = sample_exports()
        if write:
            SAMPLES_DIR.mkdir(exist_ok=True)
            for name, text in exports.items():
                (SAMPLES_DIR / name).write_text(text, encoding="utf-8", newline="")
                self.stdout.write(f"Wrote samples/{name}")
            return
        stale = stale_samples(exports)
        if stale:
            raise CommandError(
                f"Stale samples: {', '.join(stale)}. Run `manage.py samples --write`."
            )
        self.stdout.write("The samples are current.")
