import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

SHOWN_ONCE = re.compile(r"First admin account: admin / (\S+) — shown once")


@pytest.fixture
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO())


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.StringIO()
    stdin.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr("sys.stdin", stdin)


def answer_prompts(monkeypatch: pytest.MonkeyPatch, *answers: str) -> None:
    replies = iter(answers)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(replies))


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("ensure_admin", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_without_a_terminal_prints_a_generated_password_that_works(no_terminal: None) -> None:
    output = run()

    match = SHOWN_ONCE.search(output)
    assert match, output
    user = authenticate(username="admin", password=match.group(1))
    assert user is not None
    assert user.is_superuser
    assert user.is_staff


def test_username_option(no_terminal: None) -> None:
    run("--username", "root-admin")

    assert get_user_model().objects.get(is_superuser=True).username == "root-admin"


def test_does_nothing_when_a_superuser_exists(no_terminal: None) -> None:
    get_user_model().objects.create_superuser(username="existing", password="x" * 20)

    output = run()

    assert "exists already" in output
    assert not SHOWN_ONCE.search(output)
    assert get_user_model().objects.count() == 1


def test_a_terminal_asks_and_applies_the_password_validators(
    terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    strong = "correct horse battery staple"
    answer_prompts(monkeypatch, "short", "short", strong, "mismatch", strong, strong)

    output = run()

    assert not SHOWN_ONCE.search(output)
    assert authenticate(username="admin", password=strong) is not None


def test_a_terminal_gives_up_after_repeated_bad_passwords(
    terminal: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_prompts(monkeypatch, *["password"] * 6)

    with pytest.raises(CommandError):
        run()

    assert not get_user_model().objects.exists()


def test_no_input_generates_even_on_a_terminal(terminal: None) -> None:
    assert SHOWN_ONCE.search(run("--no-input"))
