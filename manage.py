#!/usr/bin/env python
"""Django's command-line entry point for SecureScope."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securescope.settings")
    from django.core.management import execute_from_command_line

    from securescope.datadir import data_dir_prepare

    data_dir_prepare()
    execute_from_command_line(sys.argv)
