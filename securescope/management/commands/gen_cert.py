from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from securescope.tls import DEFAULT_HOSTNAMES, ensure_self_signed_certificate


class Command(BaseCommand):
    help = "Make the TLS certificate and key gunicorn serves, unless they exist already."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Replace an existing certificate and key."
        )

    def handle(self, *args: object, force: bool, **options: object) -> None:
        cert_path, key_path = settings.TLS_CERT_FILE, settings.TLS_KEY_FILE
        if ensure_self_signed_certificate(cert_path, key_path, DEFAULT_HOSTNAMES, force=force):
            self.stdout.write(f"TLS certificate written to {cert_path}, key to {key_path}")
        else:
            self.stdout.write(f"TLS certificate {cert_path} and key {key_path} already exist")
