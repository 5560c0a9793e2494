from django.core.management.base import BaseCommand

from scans.collection.permissions import policy_document, scan_actions


class Command(BaseCommand):
    help = "Print the read-only IAM policy that lets SecureScope make every call of a scan."

    def handle(self, *args, **options) -> None:
        self.stdout.write(policy_document(scan_actions()))
