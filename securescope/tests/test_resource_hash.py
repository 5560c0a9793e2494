"""The resource hash and ARN forms are what the README says, so a user can compute a hash.

Expected values come from the documented formulas (or, for the literal, from `openssl dgst
-sha256 -hmac`), never from securescope.privacy itself.
"""

import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from django.conf import settings

from scans.collection.context import CollectContext
from scans.collection.inventory import AccountContext
from securescope.privacy import resource_hash

ARN = "arn:aws:ec2:eu-west-1:123456789012:ebs-default-encryption"
SECRET_KEY = "example-secret-key-not-for-production"

PRINT_KEY_AND_HASH = (
    "import json; from django.conf import settings; "
    "from securescope.privacy import resource_hash; "
    f"print(json.dumps([settings.RESOURCE_HASH_KEY, resource_hash({ARN!r})]))"
)


def key_and_hash_in_fresh_process(tmp_path: Path, **environment: str) -> tuple[str, str]:
    """The key settings derive at start-up, and the hash made with it, in a new process."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(tmp_path), **environment)
    result = subprocess.run(
        [sys.executable, Path(settings.BASE_DIR) / "manage.py", "shell", "-c", PRINT_KEY_AND_HASH],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    key, hashed = json.loads(result.stdout.strip().splitlines()[-1])
    return key, hashed


def hmac_sha256_hex(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def test_resource_hash_is_the_hex_hmac_sha256_of_the_arn(settings):
    settings.RESOURCE_HASH_KEY = "example-resource-hash-key"
    assert resource_hash(ARN) == hmac_sha256_hex("example-resource-hash-key", ARN)
    assert resource_hash(ARN) == (
        "5d3430826cdf45319ee5989e6994c696c9149ab9637e6452e61a2e3264424fbb"
    )


@pytest.mark.subprocess
def test_default_key_is_derived_from_secret_key_as_documented(tmp_path):
    key, hashed = key_and_hash_in_fresh_process(
        tmp_path, SECRET_KEY=SECRET_KEY, RESOURCE_HASH_KEY=""
    )
    # README: the key is hmac_sha256(SECRET_KEY, "securescope resource hash") in hex.
    assert key == hmac_sha256_hex(SECRET_KEY, "securescope resource hash")
    assert key == "b058a27611ddf477fedb8100f10ff79280d8ad77ce14685a4eba00703457988f"
    assert hashed == hmac_sha256_hex(key, ARN)


@pytest.mark.subprocess
def test_resource_hash_key_overrides_the_default(tmp_path):
    key, hashed = key_and_hash_in_fresh_process(
        tmp_path, SECRET_KEY=SECRET_KEY, RESOURCE_HASH_KEY="example-resource-hash-key"
    )
    assert key == "example-resource-hash-key"
    assert hashed == hmac_sha256_hex("example-resource-hash-key", ARN)


def test_account_wide_unit_writes_global_where_an_arn_has_a_region():
    # README: arn:aws:SERVICE:REGION:ACCOUNT:not-collected/TYPE, REGION `global` in that unit.
    ctx = CollectContext(
        session=boto3.Session(), account=AccountContext("123456789012"), region="global"
    )
    stand_in = ctx.not_collected("AWS::S3::Bucket", "AccessDenied: s3:ListAllMyBuckets")
    assert stand_in.arn == "arn:aws:s3:global:123456789012:not-collected/AWS::S3::Bucket"
