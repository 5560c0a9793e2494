"""The canary search sees credentials even where the database stores them encoded.

Sessions are signed and compressed, django-q2's task arguments and results are pickled, and its
queued packages are signed pickles: a plain text search of the rows would miss a leak into any of
them, and the credential tests would pass while keys sat in the database.
"""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from django_q.models import OrmQ, Task
from django_q.signing import SignedPackage

from testing.canary import CANARIES, assert_no_canary, database_dump

pytestmark = pytest.mark.django_db


def plant_in_session(canary: str) -> None:
    session = SessionStore()
    session["pasted"] = canary
    session.create()


def plant_in_task_args(canary: str) -> None:
    plant_task(args=(1, canary))


def plant_in_task_kwargs(canary: str) -> None:
    plant_task(kwargs={"region": "eu-west-1", "key": canary})


def plant_in_task_result(canary: str) -> None:
    plant_task(result=f"botocore error for {canary}")


def plant_task(**pickled) -> None:
    now = timezone.now()
    Task.objects.create(
        id="0" * 32,
        name="leaky",
        func="scans.tasks.scan_unit_run",
        started=now,
        stopped=now,
        **pickled,
    )


def plant_in_queued_package(canary: str) -> None:
    package = {"id": "0" * 32, "func": "scans.tasks.scan_unit_run", "args": (1, canary)}
    OrmQ.objects.create(key="scans", payload=SignedPackage.dumps(package))


PLACES = [
    plant_in_session,
    plant_in_task_args,
    plant_in_task_kwargs,
    plant_in_task_result,
    plant_in_queued_package,
]


@pytest.mark.parametrize("canary", CANARIES, ids=["key_id", "secret", "token"])
@pytest.mark.parametrize("plant", PLACES, ids=lambda plant: plant.__name__)
def test_a_canary_in_an_encoded_column_is_found(plant, canary):
    assert_no_canary(database_dump(), "the database before planting")
    plant(canary)
    with pytest.raises(AssertionError, match="credential"):
        assert_no_canary(database_dump(), "the database")
