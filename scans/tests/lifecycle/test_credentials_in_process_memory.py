"""What a search of the process's own memory finds of a scan's secret key once the scan is over.

No live object holds it (test_credentials_released), but CPython cannot wipe a str: the bytes
of freed copies stay in the heap until the allocator reuses them. This test reads
/proc/self/mem after a scan and bounds how many such copies remain, so that a change that
keeps more (a cache of sessions, a copy per client, a log of the request) fails here; the
README's security section states the limit. The test holds the secret only masked, and builds
the needle in one buffer that the search skips, so it counts no copy of its own.
"""

import ctypes
import gc
import re
import secrets
import sys
from pathlib import Path

import pytest

from scans.collection.aws import AwsCredentials
from scans.lifecycle.services import scan_start, scan_wait
from scans.models import Scan
from scans.tests.lifecycle.test_credentials_released import (
    SECRET_LENGTH,
    releases,  # noqa: F401  (the fixture)
    wait_until_every_unit_let_go,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/mem"),
]
# Freed copies of the secret a finished scan may leave in the heap.
MAX_FREED_COPIES = 8
MASK = 0x5A
CHUNK = 1 << 20
_READABLE = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) r")


def _address_range(buffer: bytearray) -> range:
    start = ctypes.addressof((ctypes.c_char * len(buffer)).from_buffer(buffer))
    return range(start, start + len(buffer))


def copies_in_memory(masked: bytearray) -> int:
    """Occurrences of the unmasked secret in the process's readable mappings, outside the
    needle and the read buffer themselves."""
    needle = bytearray(byte ^ MASK for byte in masked)
    chunk = bytearray(CHUNK + len(needle))
    own = [_address_range(needle), _address_range(chunk)]
    found = 0
    try:
        with Path("/proc/self/mem").open("rb", buffering=0) as memory:
            for line in Path("/proc/self/maps").read_text().splitlines():
                match = _READABLE.match(line)
                if not match:
                    continue
                start, end = int(match[1], 16), int(match[2], 16)
                for offset in range(start, end, CHUNK):
                    size = min(CHUNK + len(needle) - 1, end - offset)
                    try:
                        memory.seek(offset)
                        read = memory.readinto(memoryview(chunk)[:size]) or 0
                    except (OSError, OverflowError, ValueError):
                        break
                    position = chunk.find(needle, 0, read)
                    while 0 <= position < min(read, CHUNK):
                        if not any(offset + position in mine for mine in own):
                            found += 1
                        position = chunk.find(needle, position + 1, read)
    finally:
        needle[:] = bytes(len(needle))
    return found


def test_a_finished_scan_leaves_at_most_a_few_freed_copies_of_the_secret(aws, releases):  # noqa: F811
    token = secrets.token_urlsafe(SECRET_LENGTH)[: SECRET_LENGTH - 6]
    masked = bytearray(ord(c) ^ MASK for c in "Canary") + bytearray(ord(c) ^ MASK for c in token)
    scan = scan_start(
        credentials=AwsCredentials("AKIAIOSFODNN7EXAMPLE", "Canary" + token), regions=["eu-west-1"]
    )
    del token
    assert scan_wait(scan_id=scan.id, timeout=90).status == Scan.Status.SUCCEEDED
    wait_until_every_unit_let_go(scan, releases)
    gc.collect()

    copies = copies_in_memory(masked)
    print(f"freed copies of the secret found in process memory after the scan: {copies}")
    assert copies <= MAX_FREED_COPIES


def test_the_search_finds_a_copy_that_is_alive():
    masked = bytearray(ord(c) ^ MASK for c in "Canary" + secrets.token_urlsafe(30)[:34])
    alive = "".join(chr(byte ^ MASK) for byte in masked)
    assert copies_in_memory(masked) >= 1
    assert alive
