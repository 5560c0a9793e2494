import getpass
import secrets
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from securescope.selectors import superuser_exists
from securescope.services import admin_ensure

PROMPT_ATTEMPTS = 3


class Command(BaseCommand):
    help = (
        "Create the first admin account unless a superuser exists. Asks for the password on a "
        "terminal; otherwise generates one and prints it once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Never prompt: generate the password.",
        )

    def handle(self, *args: object, username: str, interactive: bool, **options: object) -> None:
        if superuser_exists():
            self.stdout.write("An admin account exists already; nothing to do.")
            return
        if interactive and sys.stdin.isatty():
            password = self._ask_password(username)
            generated = False
        else:
            password = secrets.token_urlsafe(18)
            generated = True
        if admin_ensure(username=username, password=password) is None:
            self.stdout.write("An admin account exists already; nothing to do.")
        elif generated:
            # Written to this terminal only, never logged: whoever ran the command has to see it.
            self.stdout.write(
                f"First admin account: {username} / {password} "
                "— shown once, change it after signing in"
            )
        else:
            self.stdout.write(f"First admin account {username} created.")

    def _ask_password(self, username: str) -> str:
        user = get_user_model()(username=username)
        for _ in range(PROMPT_ATTEMPTS):
            password = getpass.getpass(f"Password for the first admin account ({username}): ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords do not match.")
                continue
            try:
                validate_password(password, user=user)
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            return password
        raise CommandError("No acceptable password given; no admin account created.")
