#!/usr/bin/env python
"""Django's command-line entry point for SecureScope."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "securescope.settings")
    from django.core.management import execute_from_command_line

    from securescope.datadir import data_dir_prepare
    from securescope.hardening import process_harden

    # Commands hold credentials too (scan, qcluster workers): no core dump, no ptrace.
    process_harden()
    data_dir_prepare()
    execute_from_command_line(sys.argv)
