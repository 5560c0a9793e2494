"""The identity basics' collectors: root's virtual MFA device, users' direct policies, the
support role and CloudShell policy holders, server certificates, the security contact (moto) and
IAM Access Analyzer (botocore's Stubber: moto has no Access Analyzer)."""

import json

import boto3
import pytest
from botocore.stub import Stubber

from scans.collection.collectors import REGISTRY
from scans.collection.collectors import iam as iam_collectors
from scans.collection.context import CollectContext, Denied
from scans.collection.inventory import AccountContext
from securescope.resources import Resource

ACCOUNT_ID = "123456789012"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}

READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def make_ctx(region: str = "global") -> CollectContext:
    return CollectContext(
        session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region=region
    )


def collect(name: str, ctx: CollectContext | None = None) -> list[Resource]:
    ctx = ctx or make_ctx()
    before = set(ctx.permissions)
    resources = REGISTRY[name].collect(ctx)
    assert set(ctx.permissions) - before <= set(REGISTRY[name].required_permissions)
    return resources


@pytest.fixture
def no_report_wait(monkeypatch):
    monkeypatch.setattr(iam_collectors, "CREDENTIAL_REPORT_DELAY_SECONDS", 0)


def test_account_summary_says_whether_root_has_a_virtual_device(aws):
    (summary,) = collect("iam.account_summary")
    assert summary.data["RootVirtualMfaDevice"] is False
    assert summary.missing == {}


def test_a_root_serial_counts_as_roots_virtual_device():
    device = {"SerialNumber": f"arn:aws:iam::{ACCOUNT_ID}:mfa/root-account-mfa-device"}
    assert iam_collectors._is_root_device(device)
    assert iam_collectors._is_root_device(
        {"SerialNumber": "x", "User": {"Arn": f"arn:aws:iam::{ACCOUNT_ID}:root"}}
    )
    assert not iam_collectors._is_root_device(
        {"SerialNumber": f"arn:aws:iam::{ACCOUNT_ID}:mfa/alice"}
    )


def test_denied_virtual_mfa_listing_is_noted_missing(aws, monkeypatch):
    ctx = make_ctx()
    original = ctx.paginate

    def paginate(service, operation, *args, **kwargs):
        if operation == "list_virtual_mfa_devices":
            raise Denied("iam:ListVirtualMFADevices", "missing permission")
        return original(service, operation, *args, **kwargs)

    monkeypatch.setattr(ctx, "paginate", paginate)
    (summary,) = collect("iam.account_summary", ctx)
    assert summary.data["RootVirtualMfaDevice"] is None
    assert "RootVirtualMfaDevice" in summary.missing


@pytest.mark.usefixtures("no_report_wait")
def test_users_carry_their_direct_policy_counts(aws):
    iam = boto3.client("iam")
    for name in ("direct", "grouped"):
        iam.create_user(UserName=name)
    policy_arn = iam.create_policy(PolicyName="reader", PolicyDocument=json.dumps(READ_ONLY))[
        "Policy"
    ]["Arn"]
    iam.attach_user_policy(UserName="direct", PolicyArn=policy_arn)
    iam.put_user_policy(
        UserName="direct", PolicyName="inline", PolicyDocument=json.dumps(READ_ONLY)
    )
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=policy_arn)
    iam.add_user_to_group(GroupName="readers", UserName="grouped")

    users = {
        r.data["user"]: r for r in collect("iam.credential_report") if r.type == "AWS::IAM::User"
    }

    assert users["direct"].data["DirectPolicies"] == {"attached": 1, "inline": 1}
    assert users["grouped"].data["DirectPolicies"] == {"attached": 0, "inline": 0}


def test_account_policies_count_support_roles_and_cloudshell_holders(aws, monkeypatch):
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    iam = boto3.client("iam")
    for name in ("support", "other"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="support", PolicyArn="arn:aws:iam::aws:policy/AWSSupportAccess")
    iam.attach_role_policy(
        RoleName="other", PolicyArn="arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
    )

    (policies,) = collect("iam.account_policies")

    assert policies.data == {"SupportRoleCount": 1, "CloudShellFullAccessAttachments": 1}


def test_server_certificates_keep_only_their_expiration(aws):
    iam = boto3.client("iam")
    iam.upload_server_certificate(
        ServerCertificateName="site", CertificateBody="body", PrivateKey="key"
    )
    (certificate,) = collect("iam.server_certificates")
    assert certificate.type == "AWS::IAM::ServerCertificate"
    assert set(certificate.data) == {"Expiration"}


def test_security_contact_registered_or_not(aws):
    (missing,) = collect("account.security_contact")
    assert missing.data == {"Registered": False}
    boto3.client("account").put_alternate_contact(
        AlternateContactType="SECURITY",
        Name="Security team",
        Title="On call",
        EmailAddress="security@example.com",
        PhoneNumber="+10000000000",
    )
    (registered,) = collect("account.security_contact")
    # Only the fact: no name, address or number reaches the resource.
    assert registered.data == {"Registered": True}


def test_access_analyzer_keeps_external_access_analyzers_only():
    ctx = make_ctx("eu-west-1")
    client = ctx.client("accessanalyzer")
    with Stubber(client) as stubber:
        stubber.add_response(
            "list_analyzers",
            {
                "analyzers": [
                    {
                        "arn": f"arn:aws:access-analyzer:eu-west-1:{ACCOUNT_ID}:analyzer/a",
                        "name": "a",
                        "type": "ACCOUNT",
                        "createdAt": "2026-01-01T00:00:00Z",
                        "status": "ACTIVE",
                    }
                ]
            },
            {"type": "ACCOUNT"},
        )
        stubber.add_response("list_analyzers", {"analyzers": []}, {"type": "ORGANIZATION"})
        (setup,) = collect("accessanalyzer.analyzers", ctx)
    assert setup.type == "AWS::AccessAnalyzer::RegionalSetup"
    assert setup.data == {"Analyzers": [{"type": "ACCOUNT", "status": "ACTIVE"}]}
    assert setup.arn == f"arn:aws:access-analyzer:eu-west-1:{ACCOUNT_ID}:analyzers"


def test_a_denied_security_contact_is_a_refusal_not_a_missing_contact():
    # AccessDenied stops the collector, so its rule is NOT_EVALUATED, never FAIL.
    ctx = make_ctx()
    with Stubber(ctx.client("account")) as stubber:
        stubber.add_client_error(
            "get_alternate_contact",
            service_error_code="AccessDeniedException",
            http_status_code=403,
        )
        with pytest.raises(Denied, match="account:GetAlternateContact"):
            collect("account.security_contact", ctx)
    assert ctx.permissions["account:GetAlternateContact"] == "denied"
