"""Factories: plain create_<model>(**overrides) functions for tests."""

from datetime import timedelta

from django.contrib.auth.models import Permission
from django.utils import timezone

from advice.models import Advice
from findings.models import Finding, Mute
from findings.selectors import finding_counts
from findings.services import finding_fingerprint, finding_tallies_store
from scans.models import OrganizationRun, Scan, ScanRegion


def create_user(
    *, username: str = "analyst", can_scan: bool = True, can_view: bool = True, **overrides
):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username=username, password=overrides.pop("password", "correct horse battery"), **overrides
    )
    if can_scan:
        user.user_permissions.add(Permission.objects.get(codename="start_scan"))
    if can_view:
        user.user_permissions.add(Permission.objects.get(codename="view_findings"))
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


def create_organization_run(**overrides) -> OrganizationRun:
    values = {
        "account_hash": "a" * 64,
        "account_label": "****9012",
        "role_name": "OrganizationAccountAccessRole",
        "regions": ["us-east-1"],
    }
    return OrganizationRun.objects.create(**{**values, **overrides})


def close_scan(scan: Scan) -> Scan:
    """What closing a scan stores: its counts by status and severity, then its tallies."""
    scan.finding_counts = finding_counts(scan_id=scan.id)
    scan.severity_counts = scan.finding_counts.get(Finding.Status.FAIL, {})
    scan.save(update_fields=["finding_counts", "severity_counts"])
    finding_tallies_store(scan_id=scan.id)
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


def create_member(*, username: str, group: str):
    """A user in one of the team groups ("viewer" or "operator") made by the migration."""
    from django.contrib.auth.models import Group

    from securescope.services import team_groups_ensure

    if not Group.objects.filter(name=group).exists():
        team_groups_ensure()  # a transactional test flushed the migration's groups
    user = create_user(username=username, can_scan=False, can_view=False)
    user.groups.add(Group.objects.get(name=group))
    return user


def create_advice(rule_id: str, **overrides) -> Advice:
    values = {
        "shape_key": "k" * 64,
        "model_id": "m.gguf",
        "source": Advice.Source.MODEL,
        "markdown": "### Why it matters\n\nx\n",
        "generated_at": "2026-11-01T00:00:00Z",
        **overrides,
    }
    return Advice.objects.create(rule_id=rule_id, **values)
