"""Where scan units run: a thread pool in this process (embedded) or qcluster workers.

Chosen by the SCAN_EXECUTOR setting. Either way a unit receives only the scan id and a region
name; the credentials stay in the vault.
"""

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

UNIT_TASK = "scans.tasks.run_scan_unit"

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _thread_pool() -> ThreadPoolExecutor:
    # Built on first use, not at import, so gunicorn forks before any thread exists.
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.SCAN_THREADS, thread_name_prefix="scan-unit"
            )
        return _pool


def _run_in_thread(scan_id: str, region: str) -> None:
    from scans.tasks import run_scan_unit

    try:
        run_scan_unit(scan_id, region)
    finally:
        connections.close_all()  # this thread's connections only


def _enqueue_threads(scan_id: str, units: list[str]) -> None:
    pool = _thread_pool()
    for region in units:
        pool.submit(_run_in_thread, scan_id, region)


def _enqueue_django_q(scan_id: str, units: list[str]) -> None:
    from django_q.tasks import async_task

    for region in units:
        async_task(
            UNIT_TASK, scan_id, region, cluster="scans", task_name=f"scan-{scan_id[:8]}-{region}"
        )


EXECUTORS: dict[str, Callable[[str, list[str]], None]] = {
    "thread": _enqueue_threads,
    "django-q": _enqueue_django_q,
}


def enqueue_scan_units(
    *, scan_id: uuid.UUID | str, units: list[str], executor: str | None = None
) -> None:
    EXECUTORS[executor or settings.SCAN_EXECUTOR](str(scan_id), units)
