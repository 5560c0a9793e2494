"""Denied actions are listed on the scan page while the scan runs, and checked at its start."""

import pytest
from django.urls import reverse

from conftest import create_scan, create_scan_region, create_user
from scans.models import Scan, ScanRegion

pytestmark = pytest.mark.django_db


def test_running_scan_page_lists_what_ended_units_were_denied(client):
    scan = create_scan(status=Scan.Status.RUNNING, regions=["eu-west-1", "us-west-2"])
    create_scan_region(
        scan,
        region="eu-west-1",
        status=ScanRegion.Status.SUCCEEDED,
        permissions={"ec2:DescribeVolumes": "denied", "ec2:DescribeVpcs": "ok"},
    )
    # A unit still running has not stored its record yet; one that has is not yet final.
    create_scan_region(
        scan,
        region="us-west-2",
        status=ScanRegion.Status.RUNNING,
        permissions={"ec2:DescribeVpcs": "denied"},
    )
    client.force_login(create_user())

    page = client.get(reverse("scans:detail", args=[scan.id])).content.decode()

    assert "Missing permissions" in page
    assert "&quot;ec2:DescribeVolumes&quot;" in page
    assert "ec2:DescribeVpcs" not in page


def test_finished_scan_page_lists_the_scans_record(client):
    scan = create_scan(minimal_permissions={"kms:ListKeys": "denied", "ec2:DescribeVpcs": "ok"})
    create_scan_region(scan, region="us-east-1", status=ScanRegion.Status.SUCCEEDED)
    client.force_login(create_user())

    page = client.get(reverse("scans:detail", args=[scan.id])).content.decode()

    assert "&quot;kms:ListKeys&quot;" in page
    assert "ec2:DescribeVpcs" not in page
