"""Process hardening for the processes that hold credentials: the web server and the workers.

A core dump or a debugger attached by another process of the same user would read the AWS keys a
scan holds in memory. `process_harden` makes this process non-dumpable (no core file, and
/proc/PID/mem and ptrace closed to everyone but root) and its core-file limit zero; children
inherit both. The systemd units set LimitCORE=0 as well.
"""

import ctypes
import ctypes.util
import resource
import sys

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3


def _prctl(option: int, value: int = 0) -> int:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    return int(libc.prctl(option, value, 0, 0, 0))


def process_harden() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform == "linux":
        _prctl(PR_SET_DUMPABLE, 0)


def process_dumpable() -> bool:
    """Whether a core dump or another process's ptrace could read this process's memory."""
    if sys.platform != "linux":
        return resource.getrlimit(resource.RLIMIT_CORE)[0] != 0
    return _prctl(PR_GET_DUMPABLE) != 0
