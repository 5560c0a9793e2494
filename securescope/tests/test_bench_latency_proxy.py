"""bench/latency_proxy.py passes every request and answer through unchanged, and counts them."""

import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from latency_proxy import LatencyProxy


@pytest.fixture
def proxy(moto_endpoint):
    proxy = LatencyProxy(upstream=moto_endpoint, delay=0.0).start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()


def test_requests_and_answers_pass_through_unchanged(proxy):
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=proxy.url)
    s3.create_bucket(Bucket="through-the-proxy")
    s3.put_object(Bucket="through-the-proxy", Key="k", Body=b"body \x00 bytes")
    assert s3.get_object(Bucket="through-the-proxy", Key="k")["Body"].read() == b"body \x00 bytes"
    assert s3.head_object(Bucket="through-the-proxy", Key="k")["ContentLength"] == 12
    with pytest.raises(ClientError) as missing:
        s3.head_bucket(Bucket="no-such-bucket")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    ec2 = boto3.client("ec2", region_name="eu-west-1", endpoint_url=proxy.url)
    assert ec2.describe_vpcs()["Vpcs"], "moto's default VPC, through a POST"
    assert proxy.requests == 6


def test_only_a_loopback_upstream_is_accepted():
    with pytest.raises(ValueError, match="loopback"):
        LatencyProxy(upstream="https://ec2.eu-west-1.amazonaws.com", delay=0.08)
