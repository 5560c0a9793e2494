"""Serve the demo account on 127.0.0.1 for the command-line scan (and for trying pipelines)."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser

from scans.collection.demo import (
    DEMO_ACCESS_KEY_ID,
    DEMO_REGIONS,
    DEMO_SECRET_ACCESS_KEY,
    demo_server,
)


class Command(BaseCommand):
    help = "Start a moto server on 127.0.0.1 holding the seeded demo account, until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--serve", action="store_true", help="start the server and wait")
        parser.add_argument("--port", type=int, default=5055)

    def handle(self, *args, serve: bool, port: int, **options) -> None:
        if not serve:
            raise CommandError("Nothing to do: use --serve to start the demo account.")
        endpoint = demo_server.start(port=port)
        self.stdout.write(
            "Demo account ready. In another shell:\n"
            f"  export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID={DEMO_ACCESS_KEY_ID} "
            f"AWS_SECRET_ACCESS_KEY={DEMO_SECRET_ACCESS_KEY}\n"
            f"  .venv/bin/python manage.py scan --regions {','.join(DEMO_REGIONS)} --format md"
        )
        self.stdout.flush()
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
        stop.wait()
        demo_server.stop()
