"""WSGI entry point served by gunicorn (deploy/gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

from securescope.datadir import data_dir_prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securescope.settings")

data_dir_prepare()
application = get_wsgi_application()
