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


def data_dir_prepare() -> Path:
    """Create DATA_DIR and its static-files folder, and the secret key file unless SECRET_KEY is
    set; returns DATA_DIR. Files already there are kept."""
    environ.Env.read_env(BASE_DIR / ".env")
    directory = data_dir()
    (directory / STATIC_DIR_NAME).mkdir(parents=True, exist_ok=True)
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
