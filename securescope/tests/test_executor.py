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


def test_units_of_several_scans_are_queued_one_scan_at_a_time_on_django_q(monkeypatch):
    queued = []
    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda task, *args, **options: queued.append(args)
    )
    executor.enqueue_scan_units_round_robin(
        scans=[
            ("a", ["global", "eu-west-1", "us-east-1"]),
            ("b", ["global"]),
            ("c", ["global", "eu-west-1"]),
        ],
        executor="django-q",
    )
    assert queued == [
        ("a", "global"),
        ("b", "global"),
        ("c", "global"),
        ("a", "eu-west-1"),
        ("c", "eu-west-1"),
        ("a", "us-east-1"),
    ]


def test_units_of_several_scans_are_queued_one_scan_at_a_time_on_threads(monkeypatch):
    submitted = []

    class Pool:
        def submit(self, function, task, args) -> None:
            submitted.append(args)

    monkeypatch.setattr(executor, "_thread_pool", lambda cluster: Pool())
    executor.enqueue_scan_units_round_robin(
        scans=[("a", ["global", "eu-west-1"]), ("b", ["global", "eu-west-1"])], executor="thread"
    )
    assert submitted == [("a", "global"), ("b", "global"), ("a", "eu-west-1"), ("b", "eu-west-1")]
