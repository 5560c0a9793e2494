"""Canary credentials and where to look for them: a full database dump, decoded columns,
the files under DATA_DIR."""

from pathlib import Path

from django.conf import settings
from django.db import connection

CANARY_KEY_ID = "ASIACANARY7EXAMPLE00"


CANARY_SECRET = "CanarySecret/0123456789+abcdefghijklmnop"


CANARY_TOKEN = "CanarySessionToken" + "Q" * 300 + "=="


CANARIES = (CANARY_KEY_ID, CANARY_SECRET, CANARY_TOKEN)


def database_dump() -> str:
    """Every row of every table (django-q2's included) as JSON text, encoded columns decoded."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')  # noqa: S608
            rows.extend(row[0] for row in cursor.fetchall())
    return "\n".join([*rows, *decoded_columns()])


def decoded_columns() -> list[str]:
    """What signed sessions and django-q2's pickled or signed task data hold, which raw rows hide.

    Decoding errors propagate: a column the dump cannot read would be a blind spot.
    """
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core import signing
    from django_q.models import OrmQ, Task
    from django_q.signing import SignedPackage

    # SessionStore.decode would answer {} for data it cannot read; signing.loads raises instead.
    store = SessionStore()
    decoded = [
        repr(signing.loads(data, salt=store.key_salt, serializer=store.serializer))
        for data in Session.objects.values_list("session_data", flat=True)
    ]
    # Task's proxies (Success, Failure) share its table; the pickle field unpickles on read.
    decoded.extend(repr(values) for values in Task.objects.values_list("args", "kwargs", "result"))
    decoded.extend(
        repr(SignedPackage.loads(payload))
        for payload in OrmQ.objects.values_list("payload", flat=True)
    )
    return decoded


def data_files() -> bytes:
    return b"".join(
        path.read_bytes() for path in Path(settings.DATA_DIR).rglob("*") if path.is_file()
    )


def assert_no_canary(text: str | bytes, where: str) -> None:
    for canary in CANARIES:
        needle = canary.encode() if isinstance(text, bytes) else canary
        assert needle not in text, f"credential found in {where}"
        # A prefix long enough to identify the key also counts as a leak.
        assert needle[:12] not in text, f"credential prefix found in {where}"


def assert_no_trace(responses: list, logs: str) -> None:
    """No canary in any response (body and headers), the database, the logs or DATA_DIR."""
    for response in responses:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert_no_canary(body, f"response {response.status_code}")
        assert_no_canary(str(response.headers), "response headers")
    assert_no_canary(database_dump(), "the database")
    assert_no_canary(logs, "the logs")
    assert_no_canary(data_files(), "the data folder")
