"""Fixtures shared by every app's tests: fake AWS credentials, moto, factories."""

import functools
import json
import os
import shutil
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import botocore.session
import pytest
from botocore.loaders import create_loader
from django.conf import global_settings, settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from moto import mock_aws
from moto.server import ThreadedMotoServer

from findings.models import Finding, Mute
from findings.services import finding_fingerprint
from scans.collection.demo import demo_server, reset_moto_server
from scans.models import Scan, ScanRegion

pytest_plugins = ["securescope.tests.lanes"]

# Moto must not seed ~1,300 public AMIs per region (see docs/moto.md).
os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"

REAL_PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
TEST_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
TEST_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def worker_redis_url(url: str) -> str:
    """`url` for this xdist worker: worker N uses the database N below the one `url` names.

    Tests flush their Redis database, so each worker needs its own (Redis has 16, 0 to 15).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) - int(worker.removeprefix("gw"))
    if database < 0:
        raise pytest.UsageError(f"{url} leaves no Redis database for xdist worker {worker}")
    return urlunsplit(parts._replace(path=f"/{database}"))


# Tests that need a real Redis use this one.
TEST_REDIS_URL = worker_redis_url(
    os.environ.get("SECURESCOPE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
)


@pytest.fixture(autouse=True, scope="session")
def _botocore_data_decoded_once():
    """One botocore loader for every session this process makes, so each of botocore's data
    files (endpoints, service models) is decoded once per process rather than once per session:
    decoding them was a third of the suite's time. Sessions use its loaded models read-only."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", functools.cache(create_loader))
        yield


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Tests hash and check passwords by the hundred: PBKDF2's million rounds cost each a good
    part of a second. Nothing here tests the hasher. The real ones still check passwords that a
    manage.py process hashed; a user that a server process signs in needs REAL_PASSWORD_HASHERS.
    """
    fast = "django.contrib.auth.hashers.MD5PasswordHasher"
    with override_settings(PASSWORD_HASHERS=[fast, *REAL_PASSWORD_HASHERS]):
        yield


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch):
    """Dummy credentials and no endpoint override: a test can never reach real AWS."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage needs collectstatic; tests render templates without it, and give
    # whitenoise no STATIC_ROOT to serve (only manage.py and the WSGI module create it).
    settings.STATIC_ROOT = None
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _plain_http_test_client(settings):
    # The test client speaks plain HTTP; securescope/tests/test_transport.py turns the redirect
    # back on to check it.
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _empty_vault():
    from django.core.cache import caches

    caches["vault"].clear()
    yield
    caches["vault"].clear()


@pytest.fixture
def moto_endpoint(monkeypatch) -> str:
    """A moto server on 127.0.0.1 for other processes; this one's boto3 points at it too."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    reset_moto_server(endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    yield endpoint
    server.stop()


@pytest.fixture
def held_demo_server(monkeypatch) -> threading.Event:
    """A demo server stopped before and after the test, which starts only once the returned
    event is set: what a page shows while the demo account comes up can be looked at."""
    demo_server.stop()
    may_start = threading.Event()
    start = demo_server.start

    def held_start() -> str:
        assert may_start.wait(timeout=60), "the test never let the demo server start"
        return start()

    monkeypatch.setattr(demo_server, "start", held_start)
    yield may_start
    may_start.set()
    demo_server.stop()


@pytest.fixture
def aws(monkeypatch):
    with mock_aws():
        # mock_aws puts its own placeholder keys in the environment; ours pass form validation.
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY_ID)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_SECRET_ACCESS_KEY)
        yield


def create_user(*, username: str = "analyst", can_scan: bool = True, **overrides):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username=username, password=overrides.pop("password", "correct horse battery"), **overrides
    )
    if can_scan:
        user.user_permissions.add(Permission.objects.get(codename="start_scan"))
    return user


def create_scan(**overrides) -> Scan:
    values = {
        "account_hash": "a" * 64,
        "account_label": "****9012",
        "status": Scan.Status.SUCCEEDED,
        "regions": ["us-east-1"],
    }
    created_at = overrides.pop("created_at", None)
    scan = Scan.objects.create(**{**values, **overrides})
    if created_at is not None:
        # auto_now_add ignores a value given to create().
        Scan.objects.filter(id=scan.id).update(created_at=created_at)
        scan.created_at = created_at
    return scan


def create_scan_region(scan: Scan, **overrides) -> ScanRegion:
    return ScanRegion.objects.create(scan=scan, **{"region": "us-east-1", **overrides})


def create_finding(scan: Scan, **overrides) -> Finding:
    values = {
        "rule_id": "EC2_SG_SSH_OPEN",
        "title": "Security group allows SSH (22) from the whole internet",
        "service": "ec2",
        "severity": "high",
        "status": Finding.Status.FAIL,
        "region": "us-east-1",
        "resource_type": "AWS::EC2::SecurityGroup",
        "resource_hash": "b" * 64,
        "evidence": {"open_ports": [22]},
        "compliance": {"cis_aws_foundations": {"version": "3.0.0", "sections": ["5.2"]}},
    }
    values.update(overrides)
    values.setdefault(
        "fingerprint",
        finding_fingerprint(
            rule_id=values["rule_id"],
            resource_hash=values["resource_hash"],
            region=values["region"],
        ),
    )
    return Finding.objects.create(scan=scan, **values)


def create_mute(*, account_hash: str, account_label: str, rule_id: str, owner, **overrides) -> Mute:
    values = {
        "justification": "accepted risk",
        "expires_at": timezone.now() + timedelta(days=1),
        **overrides,
    }
    return Mute.objects.create(
        account_hash=account_hash,
        account_label=account_label,
        rule_id=rule_id,
        owner=owner,
        **values,
    )


# The trust policy of a role EC2 instances can wear (an instance profile's role).
EC2_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


AUDITOR_POLICY = """{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*",
  "Action": ["sts:GetCallerIdentity", "sts:AssumeRole", "ec2:Describe*", "ec2:Get*",
             "eks:List*", "eks:Describe*", "iam:Get*", "iam:List*"]}]}"""
ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def moto_user_keys(monkeypatch, *, user_name: str, policy: str) -> dict[str, str]:
    """Real keys of an IAM user with `policy` in moto; moto then checks every request's rights."""
    import boto3
    from moto import settings as moto_settings
    from moto.core.authorization import ActionAuthenticatorMixin

    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName=user_name)
    iam.put_user_policy(UserName=user_name, PolicyName="scan", PolicyDocument=policy)
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}


@pytest.fixture
def auditor_keys(aws, monkeypatch) -> dict:
    """Keys of a read-only IAM user in moto, with moto's authentication switched on."""
    return moto_user_keys(monkeypatch, user_name="auditor", policy=AUDITOR_POLICY)


def run_manage(env: dict[str, str], *args: str, with_canary_keys: bool = False):
    """`manage.py ARGS` in a fresh process, optionally holding the canary credentials."""
    if with_canary_keys:
        env = {
            **env,
            "AWS_ACCESS_KEY_ID": CANARY_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": CANARY_SECRET,
            "AWS_SESSION_TOKEN": CANARY_TOKEN,
        }
    return subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )


def embedded_env(**overrides: str) -> dict[str, str]:
    """This process's environment for a manage.py in embedded mode: no AWS, database or Redis."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "DJANGO_")) and key not in ("DATABASE_URL", "REDIS_URL")
    }
    return {**env, **overrides}


@pytest.fixture(scope="session")
def _migrated_data_dir_template(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("migrated")
    migrate = run_manage(embedded_env(DATA_DIR=str(data_dir)), "migrate", "-v0")
    assert migrate.returncode == 0, migrate.stderr
    return data_dir


@pytest.fixture
def migrated_data_dir(_migrated_data_dir_template, tmp_path) -> Path:
    """A DATA_DIR of the test's own whose SQLite database is migrated: a copy of one migrated
    once per test process, since migrating a fresh database takes seconds."""
    data_dir = tmp_path / "data"
    shutil.copytree(_migrated_data_dir_template, data_dir)
    return data_dir


def seed_region(region: str) -> dict[str, str]:
    """One failing and one passing resource for each seed rule; returns their ids by role."""
    import boto3

    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=zone)
    ids = {}
    ids["open_sg"] = ec2.create_security_group(GroupName="ssh-open", Description="open", VpcId=vpc)[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=ids["open_sg"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    ids["tight_sg"] = ec2.create_security_group(
        GroupName="ssh-office", Description="tight", VpcId=vpc
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=ids["tight_sg"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "198.51.100.0/24"}],
            }
        ],
    )
    image = ec2.register_image(Name="base-image", RootDeviceName="/dev/xvda")["ImageId"]
    launch = {
        "ImageId": image,
        "MinCount": 1,
        "MaxCount": 1,
        "SubnetId": subnet["Subnet"]["SubnetId"],
    }
    ids["imds_v1"] = ec2.run_instances(
        **launch, MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"}
    )["Instances"][0]["InstanceId"]
    ids["imds_v2"] = ec2.run_instances(
        **launch, MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"}
    )["Instances"][0]["InstanceId"]
    ids["plain_volume"] = ec2.create_volume(Size=8, AvailabilityZone=zone)["VolumeId"]
    ids["encrypted_volume"] = ec2.create_volume(Size=8, AvailabilityZone=zone, Encrypted=True)[
        "VolumeId"
    ]
    eks = boto3.client("eks", region_name=region)
    vpc_config = {"subnetIds": [subnet["Subnet"]["SubnetId"]]}
    role = "arn:aws:iam::123456789012:role/eks"
    eks.create_cluster(name="open-cluster", roleArn=role, resourcesVpcConfig=vpc_config)
    eks.create_cluster(
        name="tight-cluster",
        roleArn=role,
        resourcesVpcConfig={
            **vpc_config,
            "endpointPublicAccess": False,
            "endpointPrivateAccess": True,
        },
        logging={"clusterLogging": [{"types": ALL_LOG_TYPES, "enabled": True}]},
    )
    return ids


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


def create_member(*, username: str, group: str):
    """A user in one of the team groups ("viewer" or "operator") made by the migration."""
    from django.contrib.auth.models import Group

    from securescope.services import team_groups_ensure

    if not Group.objects.filter(name=group).exists():
        team_groups_ensure()  # a transactional test flushed the migration's groups
    user = create_user(username=username, can_scan=False)
    user.groups.add(Group.objects.get(name=group))
    return user
