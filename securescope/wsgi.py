"""WSGI entry point served by gunicorn (deploy/gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

from securescope.datadir import data_dir_prepare
from securescope.hardening import process_harden

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securescope.settings")

# The web process holds the pasted keys while it proves them (and the scans, embedded).
process_harden()
data_dir_prepare()
application = get_wsgi_application()
