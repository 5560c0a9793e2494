"""Where background tasks run: thread pools in this process (embedded) or qcluster workers.

Chosen by the SCAN_EXECUTOR setting, for both clusters: `scans` (one task per scan unit) and
`advice` (one task per failing evidence shape). Either way a task receives only ids and names;
the credentials stay in the vault. A task that must run in this process (starting the demo
account's server, which lives here) asks for the thread executor whatever the setting.
"""

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import chain, zip_longest

from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

UNIT_TASK = "scans.tasks.run_scan_unit"

_pools: dict[str, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool_size(cluster: str) -> int:
    # Advice runs one generation at a time, like the single-worker `advice` cluster; the demo
    # account starts one server at a time.
    return settings.SCAN_THREADS if cluster == "scans" else 1


def _thread_pool(cluster: str) -> ThreadPoolExecutor:
    # Built on first use, not at import, so gunicorn forks before any thread exists.
    with _pools_lock:
        if cluster not in _pools:
            _pools[cluster] = ThreadPoolExecutor(
                max_workers=_pool_size(cluster), thread_name_prefix=f"{cluster}-task"
            )
        return _pools[cluster]


def _run_in_thread(task: str, args: tuple) -> None:
    try:
        import_string(task)(*args)
    except Exception:
        # A pool keeps a task's exception in a future nobody reads: without this line a task
        # that fails leaves no trace.
        logger.error("Task %s failed", task, exc_info=True)
    finally:
        connections.close_all()  # this thread's connections only


def _enqueue_threads(task: str, calls: list[tuple], cluster: str) -> None:
    pool = _thread_pool(cluster)
    for args in calls:
        pool.submit(_run_in_thread, task, args)


def _enqueue_django_q(task: str, calls: list[tuple], cluster: str) -> None:
    from django_q.tasks import async_task

    for args in calls:
        # The first argument is an id: its start is enough to tell tasks apart in the admin.
        name = "-".join([str(args[0])[:8], *map(str, args[1:])])
        # Grouped by cluster: django-q2 keeps the last results per group (Q_CLUSTER's
        # save_limit_per), so scan units never push a schedule's last run out of the admin.
        async_task(task, *args, cluster=cluster, task_name=f"{cluster}-{name}", group=cluster)


EXECUTORS: dict[str, Callable[[str, list[tuple], str], None]] = {
    "thread": _enqueue_threads,
    "django-q": _enqueue_django_q,
}


def enqueue_tasks(
    task: str, calls: Iterable[tuple], *, cluster: str, executor: str | None = None
) -> None:
    """Run `task(*args)` for each args tuple of `calls` in `cluster`."""
    EXECUTORS[executor or settings.SCAN_EXECUTOR](task, list(calls), cluster)


def enqueue_scan_units(
    *, scan_id: uuid.UUID | str, units: list[str], executor: str | None = None
) -> None:
    enqueue_tasks(
        UNIT_TASK, [(str(scan_id), region) for region in units], cluster="scans", executor=executor
    )


def enqueue_scan_units_round_robin(
    *, scans: Sequence[tuple[uuid.UUID | str, list[str]]], executor: str | None = None
) -> None:
    """The units of several scans, (scan id, its units), queued one scan's unit at a time:
    each scan's first unit, then each one's second, and so on. Workers take tasks in the order
    they were queued, so every account of an organization is under way early and none waits
    behind another's whole scan."""
    by_round = zip_longest(*([(str(scan_id), unit) for unit in units] for scan_id, units in scans))
    calls = [call for call in chain.from_iterable(by_round) if call is not None]
    enqueue_tasks(UNIT_TASK, calls, cluster="scans", executor=executor)
