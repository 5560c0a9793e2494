"""Names and tags an attacker controls (script, Markdown, template syntax) are never stored,
so no page or export can render them."""

import boto3
import pytest
from django.urls import reverse

from scans.lifecycle.services import scan_wait
from scans.models import Scan
from testing.aws import seed_region
from testing.canary import database_dump
from testing.factories import create_user

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = [
    "<script>alert('xss-zq1')</script>",
    "[click-zq2](javascript:alert(1))",
    "**zq3** | table | break",
    "{{ settings.SECRET_KEY }}zq4",
    "{% debug %}zq5",
    "${jndi:ldap://127.0.0.1/zq6}",
    '=HYPERLINK("http://127.0.0.1/zq7")',
]
MARKERS = ["zq1", "zq2", "zq3", "zq4", "zq5", "zq6", "zq7", "javascript:"]


def tag_everything(region: str) -> None:
    ec2 = boto3.client("ec2", region_name=region)
    tags = [{"Key": f"k{n}", "Value": value} for n, value in enumerate(HOSTILE)]
    tags.append({"Key": "Name", "Value": HOSTILE[0]})
    resources = [group["GroupId"] for group in ec2.describe_security_groups()["SecurityGroups"]]
    resources += [
        instance["InstanceId"]
        for reservation in ec2.describe_instances()["Reservations"]
        for instance in reservation["Instances"]
    ]
    resources += [volume["VolumeId"] for volume in ec2.describe_volumes()["Volumes"]]
    ec2.create_tags(Resources=resources, Tags=tags)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    ec2.create_security_group(GroupName=HOSTILE[0], Description=HOSTILE[3], VpcId=vpc)
    iam = boto3.client("iam", region_name=region)
    iam.create_user(UserName="zq-user", Tags=[{"Key": "note", "Value": HOSTILE[1]}])


def test_hostile_names_and_tags_are_not_stored_or_shown(client, aws):
    seed_region("eu-west-1")
    tag_everything("eu-west-1")
    client.force_login(create_user())

    client.post(
        reverse("scans:new"),
        {
            "access_key_id": "AKIAIOSFODNN7EXAMPLE",
            "secret_access_key": "x" * 40,
            "regions": ["eu-west-1"],
        },
    )
    scan = scan_wait(scan_id=Scan.objects.get().id, timeout=90)

    assert scan.status == Scan.Status.SUCCEEDED
    assert scan.findings.filter(resource_type="AWS::EC2::SecurityGroup").count() >= 3
    dump = database_dump()
    pages = [
        client.get(reverse("scan_pages:detail", args=[scan.id])),
        client.get(reverse("scan_pages:compliance", args=[scan.id])),
        client.get(reverse("findings:table", args=[scan.id])),
        *(
            client.get(reverse("findings:export", args=[scan.id, export_format]))
            for export_format in ("json", "csv", "md")
        ),
    ]
    bodies = [
        (b"".join(page.streaming_content) if page.streaming else page.content).decode()
        for page in pages
    ]
    for marker in MARKERS:
        assert marker not in dump, f"{marker} stored"
        for body in bodies:
            assert marker not in body, f"{marker} shown"
