"""Test lanes: the markers that keep slow kinds of tests out of `deploy/test --fast`, kept honest.

A test that lacks its marker would run in the fast lane unnoticed, so markers follow from what a
test does rather than from memory:

- at collection, from the fixtures it uses (FIXTURE_MARKERS);
- while it runs, from what it starts: a process needs `subprocess` (or `browser`, `deploy`,
  `llm`, which stay out of the fast lane too), a shell script from deploy/ needs `deploy`,
  Chromium needs `browser`, and a moto server or mock_aws needs `moto`. A test that starts one
  without its marker fails, naming the marker.

Loaded by the root conftest.py (pytest_plugins).
"""

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURE_MARKERS = {
    "aws": "moto",
    "aws_with_managed_policies": "moto",
    "moto_endpoint": "moto",
    "browser": "browser",
    "smollm2_path": "llm",
    "local_model": "llm",
}
# Markers under which a test may start processes: every one of them stays out of the fast lane.
PROCESS_MARKERS = frozenset({"subprocess", "browser", "deploy", "llm"})
SPAWN_EVENTS = frozenset(
    {"subprocess.Popen", "os.system", "os.posix_spawn", "os.spawn", "os.exec", "os.fork"}
)
SHELLS = frozenset({"bash", "sh", "dash"})

_running: pytest.Item | None = None
_missing: dict[str, list[str]] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in item.fixturenames:
                item.add_marker(marker)


def _command(event: str, args: tuple) -> list[str]:
    """The words of the command an audited spawn event runs."""
    if event == "subprocess.Popen":
        words = args[1]
    elif event == "os.system":
        words = args[0]
    elif event in ("os.posix_spawn", "os.exec"):
        words = args[1]
    elif event == "os.spawn":
        words = args[2]
    else:
        return [event]
    if isinstance(words, str | bytes | os.PathLike):
        return os.fsdecode(words).split()
    return [word for argument in words for word in os.fsdecode(argument).split()]


def _runs_deploy_script(words: list[str]) -> bool:
    """A shell running a file from deploy/ (`bash deploy/start`), or such a file run directly."""
    scripts = [word for word in words if re.search(r"(^|/)deploy/[\w.-]+$", word)]
    return bool(scripts) and (Path(words[0]).name in SHELLS or words[0] in scripts)


def _missing_marker(words: list[str], markers: set[str]) -> str | None:
    command = " ".join(words)[:100]
    if _runs_deploy_script(words) and "deploy" not in markers:
        return f"runs a deploy/ script ({command}): mark it deploy"
    if "chrom" in Path(words[0]).name and "browser" not in markers:
        return f"starts Chromium ({command}): mark it browser"
    if not markers & PROCESS_MARKERS:
        return f"starts a process ({command}): mark it subprocess"
    return None


def _fail(item: pytest.Item, problem: str) -> None:
    _missing.setdefault(item.nodeid, []).append(problem)
    pytest.fail(f"{item.nodeid} {problem}", pytrace=False)


def _audit(event: str, args: tuple) -> None:
    item = _running
    if item is None or event not in SPAWN_EVENTS:
        return
    problem = _missing_marker(_command(event, args), {mark.name for mark in item.iter_markers()})
    if problem:
        _fail(item, problem)


def pytest_configure(config: pytest.Config) -> None:
    # An audit hook cannot be removed; outside a test (_running is None) it does nothing.
    sys.addaudithook(_audit)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    global _running
    _running = item
    try:
        return (yield)
    finally:
        _running = None
        _missing.pop(item.nodeid, None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[pytest.TestReport]:
    report = yield
    # The code under test may have caught the failure raised where it started the process.
    problems = _missing.pop(item.nodeid, None)
    if problems and report.passed:
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} is missing a marker: {'; '.join(problems)}"
    return report


@pytest.fixture(autouse=True)
def _moto_needs_its_marker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Starting moto (a server or mock_aws) in a test without the moto marker fails it."""
    from moto.core.models import MockAWS
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    if request.node.get_closest_marker("moto"):
        return
    for owner in (MockAWS, ThreadedMotoServer):
        monkeypatch.setattr(
            owner, "start", lambda *args, **kwargs: _fail(request.node, "starts moto: mark it moto")
        )
