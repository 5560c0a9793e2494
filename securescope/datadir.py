"""The data folder (DATA_DIR) of the embedded default, and the one step that fills it.

Importing settings only reads: it creates no folder and no file. The entry points, manage.py
and the WSGI module, call data_dir_prepare() before Django starts, so the first command on a
fresh checkout (deploy/start's migrate) makes DATA_DIR, its static-files folder and, unless
SECRET_KEY is set, a secret key that later processes read back.
"""

import os
import secrets
import tempfile
from functools import cache
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
KEY_FILE_NAME = "secret_key"
STATIC_DIR_NAME = "staticfiles"
# The embedded SQLite database, with its -wal and -shm files beside it.
DATABASE_FILE_NAME = "securescope.sqlite3"


def data_dir() -> Path:
    """DATA_DIR from the environment (or .env, once settings or the entry point read it)."""
    return Path(os.environ.get("DATA_DIR") or BASE_DIR / "var")


@cache
def _key_of_this_process() -> str:
    return secrets.token_urlsafe(64)


def installation_secret_key(directory: Path) -> str:
    """The key data_dir_prepare() wrote under `directory`.

    Without that file (settings imported outside the entry points, as a test run does), a key
    for this process alone: nothing signed or encrypted with it outlives the process.
    """
    try:
        return (directory / KEY_FILE_NAME).read_text().strip()
    except FileNotFoundError:
        return _key_of_this_process()


class DataDirExposed(SystemExit):
    """DATA_DIR or the database in it can be read by other users; the message says the fix."""


def data_dir_problem(directory: Path) -> str | None:
    """Why DATA_DIR is open to other local users, with the command that closes it, or None.

    It holds the SQLite database (sessions, password hashes), the secret key and the TLS key:
    any other user who reads them can sign in as an admin.
    """
    if not directory.exists():
        return None
    if directory.stat().st_mode & 0o077:
        return (
            f"{directory} can be read by other users (it holds the database, sessions and keys). "
            f"Close it: chmod 700 {directory}"
        )
    exposed = [
        path
        for path in sorted(directory.glob(f"{DATABASE_FILE_NAME}*"))
        if path.stat().st_mode & 0o044
    ]
    if exposed:
        return f"{exposed[0]} can be read by other users. Close it: chmod 600 " + " ".join(
            str(path) for path in exposed
        )
    return None


def data_dir_prepare() -> Path:
    """Create DATA_DIR (0700) and its static-files folder, and the secret key file unless
    SECRET_KEY is set; returns DATA_DIR. Files already there are kept.

    Files this process creates from here on are its owner's alone (umask 077), the database
    included; a DATA_DIR other users can read stops start-up with the fix in the message.
    """
    environ.Env.read_env(BASE_DIR / ".env")
    os.umask(0o077)
    directory = data_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if problem := data_dir_problem(directory):
        raise DataDirExposed(problem)
    (directory / STATIC_DIR_NAME).mkdir(exist_ok=True)
    if not os.environ.get("SECRET_KEY"):
        _write_secret_key(directory / KEY_FILE_NAME)
    return directory


def _write_secret_key(path: Path) -> None:
    if path.exists():
        return
    # Written whole to a private temporary file, then linked into place: the key is 0600 from
    # its first byte, a reader never sees half of it, and of two processes starting at once
    # the first link wins and the other keeps it.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(64))
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
