"""Tasks run in this process's thread pools."""

import threading

import pytest

from securescope import executor

finished = threading.Event()


def _failing_task(reason: str) -> None:
    finished.set()
    raise RuntimeError(reason)


@pytest.mark.django_db
def test_a_task_that_fails_in_a_thread_leaves_a_log_line(caplog):
    finished.clear()
    with caplog.at_level("ERROR", logger="securescope.executor"):
        executor.enqueue_tasks(
            f"{__name__}._failing_task", [("boom",)], cluster="tests", executor="thread"
        )
        assert finished.wait(timeout=30)
        executor._thread_pool("tests").submit(lambda: None).result(timeout=30)
    [record] = caplog.records
    assert record.getMessage() == f"Task {__name__}._failing_task failed"
    assert record.exc_info[0] is RuntimeError
