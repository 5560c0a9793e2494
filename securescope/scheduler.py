"""django-q2's schedules run inside the web process, for the embedded mode that has no qcluster.

The schedules are django-q2's own rows (the housekeeping ones installed by migrations, any other
added in the admin), so both shapes share them: in production a `qcluster` runs them; with
SCAN_EXECUTOR=thread each web process runs one scheduler thread, started after the process
forked (gunicorn's `post_worker_init` hook, deploy/gunicorn.conf.py), which runs the due
schedules every TICK_SECONDS.

Several processes tick at once (gunicorn workers, even a qcluster beside them). A process claims
the due schedules by locking their rows (skipping rows another process holds: those are being
claimed there) and moving `next_run` past now, in one short transaction; it then runs their
tasks outside it. Whoever moved `next_run` runs that occurrence, and nobody else sees it due.
On SQLite, where rows cannot be locked, the IMMEDIATE transactions of the settings serialize
the claims instead.

Each run is stored as a django-q2 task, the record a qcluster keeps, and the schedule points at
it: the admin's "Scheduled tasks" page shows the last run and whether it succeeded in both
shapes, and its "Successful tasks" / "Failed tasks" pages what it returned or where it failed.
A schedule's result hook and intended-date argument are not offered here: the housekeeping
schedules use neither.
"""

import ast
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.conf import Conf
from django_q.humanhash import humanize
from django_q.models import Schedule
from django_q.monitor import save_task

from securescope.scrubbing import traceback_without_message

logger = logging.getLogger(__name__)

TICK_SECONDS = 30
# How long a stopping worker waits for a job in progress to end.
STOP_WAIT_SECONDS = 10

_thread: threading.Thread | None = None
_stop = threading.Event()
_lock = threading.Lock()


@dataclass(frozen=True)
class Claim:
    """One due occurrence of a schedule, which this process alone is to run."""

    schedule_id: int
    name: str
    func: str
    args: str | None
    kwargs: str | None


def schedules_run_due(*, now: datetime | None = None) -> list[str]:
    """Claim the schedules due at `now`, run them one after another; returns their names."""
    claims = _claim_due(now or timezone.now())
    for claim in claims:
        _run(claim)
    return [claim.name for claim in claims]


@transaction.atomic
def _claim_due(now: datetime) -> list[Claim]:
    due = (
        Schedule.objects.select_for_update(skip_locked=True)
        .exclude(repeats=0)
        .filter(next_run__lte=now)
        .order_by("next_run", "id")
    )
    claims = []
    for schedule in due:
        claims.append(
            Claim(
                schedule.id,
                schedule.name or str(schedule.id),
                schedule.func,
                schedule.args,
                schedule.kwargs,
            )
        )
        _advance(schedule, now)
        schedule.save(update_fields=["next_run", "repeats"])
    return claims


def _arguments(claim: Claim) -> tuple[tuple, dict]:
    """The schedule's args and kwargs, Python literals as django-q2's admin form takes them:
    `(1, "a")` or `1`, and `{"key": 1}`."""
    args = ast.literal_eval(claim.args) if claim.args else ()
    kwargs = ast.literal_eval(claim.kwargs) if claim.kwargs else {}
    if not isinstance(kwargs, dict):
        raise TypeError("a schedule's kwargs must be a dict literal")
    return (args if isinstance(args, tuple) else (args,)), kwargs


def _advance(schedule: Schedule, now: datetime) -> None:
    """Move the schedule to its next occurrence after `now` (periods missed while nothing ran
    are skipped, unless django-q2's catch_up asks for each of them), as django-q2 does."""
    if schedule.repeats > 0:
        schedule.repeats -= 1
    if schedule.schedule_type == Schedule.ONCE:
        schedule.repeats = 0  # kept, not deleted, so its run stays visible
        return
    next_run = schedule.calculate_next_run(schedule.next_run)
    while not Conf.CATCH_UP and next_run <= now:
        following = schedule.calculate_next_run(next_run)
        if following <= next_run:  # a cron schedule is computed from the wall clock
            break
        next_run = following
    schedule.next_run = next_run


def _run(claim: Claim) -> None:
    task_id = uuid.uuid4().hex
    started = timezone.now()
    args, kwargs = (), {}
    try:
        args, kwargs = _arguments(claim)
        result = import_string(claim.func)(*args, **kwargs)
        success = True
    except Exception as error:
        # Where it failed, not what its message says: that may quote identifiers.
        result = traceback_without_message(error)
        success = False
        logger.error("Scheduled task %s failed\n%s", claim.name, result)
    save_task(
        {
            "id": task_id,
            "name": humanize(task_id),
            "func": claim.func,
            "args": args,
            "kwargs": kwargs,
            "group": claim.name,
            # Which process ran it: the web worker's pid.
            "cluster": f"in-process:{os.getpid()}",
            "started": started,
            "stopped": timezone.now(),
            "result": result,
            "success": success,
        },
        broker=None,
    )
    Schedule.objects.filter(id=claim.schedule_id).update(task=task_id)


def _loop(stop: threading.Event) -> None:
    while True:
        try:
            schedules_run_due()
        except Exception as error:
            logger.error(
                "The scheduler could not claim its tasks\n%s", traceback_without_message(error)
            )
        finally:
            connections.close_all()  # this thread's connections only
        if stop.wait(TICK_SECONDS):
            return


def scheduler_start() -> bool:
    """Start this process's scheduler thread in the embedded mode (SCAN_EXECUTOR=thread);
    returns whether it started one.

    Call it after the process forked, never at import: a thread started before a fork does
    not exist in the children. A second call, or one in a process whose thread runs, does
    nothing.
    """
    global _thread, _stop
    if settings.SCAN_EXECUTOR != "thread":
        return False
    with _lock:
        if _thread is not None and _thread.is_alive():
            return False
        _stop = threading.Event()
        _thread = threading.Thread(target=_loop, args=(_stop,), name="scheduler", daemon=True)
        _thread.start()
    logger.info("Running django-q2's schedules in this process (pid %d)", os.getpid())
    return True


def scheduler_stop() -> None:
    """Stop this process's scheduler thread, letting a job in progress end (briefly)."""
    with _lock:
        thread, stop = _thread, _stop
    stop.set()
    if thread is not None:
        thread.join(STOP_WAIT_SECONDS)
