"""Account-wide collectors (IAM, S3, CloudTrail, Organizations) against moto."""

import json

import boto3
import pytest
from botocore.stub import Stubber

from rules.engine import evaluate
from rules.loading import load_catalog
from scans.collection.collectors import REGISTRY, collectors_for
from scans.collection.collectors import iam as iam_collectors
from scans.collection.collectors.iam import policy_grants_full_admin
from scans.collection.collectors.s3 import denies_insecure_transport
from scans.collection.context import NOT_INSPECTED, CollectContext, Denied, Unavailable
from scans.collection.inventory import AccountContext
from testing.aws import EC2_TRUST

ACCOUNT_ID = "123456789012"
READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess"
FULL_ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}],
}
NEW_GLOBAL_COLLECTORS = {
    "iam.password_policy",
    "iam.credential_report",
    "iam.oidc_providers",
    "iam.instance_profile_roles",
    "s3.account_public_access_block",
    "s3.buckets",
    "cloudtrail.trails",
    "organizations.organization",
}


def make_ctx() -> CollectContext:
    return CollectContext(
        session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region="global"
    )


def collect(name: str, ctx: CollectContext | None = None):
    return REGISTRY[name].collect(ctx or make_ctx())


def by_type(resources, resource_type: str) -> list:
    return [resource for resource in resources if resource.type == resource_type]


@pytest.fixture
def aws_with_managed_policies(monkeypatch, request):
    # Read when moto builds the IAM backend, so it must be set before the mock starts.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    request.getfixturevalue("aws")


@pytest.fixture
def no_report_wait(monkeypatch):
    monkeypatch.setattr(iam_collectors, "CREDENTIAL_REPORT_DELAY_SECONDS", 0)


def test_new_collectors_are_global_and_declare_permissions():
    global_names = {collector.name for collector in collectors_for("global")}
    assert global_names >= NEW_GLOBAL_COLLECTORS
    for name in NEW_GLOBAL_COLLECTORS:
        collector = REGISTRY[name]
        assert collector.resource_types
        assert all(":" in action for action in collector.required_permissions)


# IAM ------------------------------------------------------------------------------------------


def test_missing_password_policy_is_a_resource_with_none(aws):
    (policy,) = collect("iam.password_policy")
    assert policy.type == "AWS::IAM::PasswordPolicy"
    assert policy.arn == f"arn:aws:iam::{ACCOUNT_ID}:account-password-policy"
    assert policy.region == "global"
    assert policy.data == {"PasswordPolicy": None}


def test_password_policy_is_read(aws):
    boto3.client("iam").update_account_password_policy(
        MinimumPasswordLength=14, PasswordReusePrevention=24
    )
    (policy,) = collect("iam.password_policy")
    assert policy.data["PasswordPolicy"]["MinimumPasswordLength"] == 14
    assert policy.data["PasswordPolicy"]["PasswordReusePrevention"] == 24


def test_account_summary_keeps_its_root_arn(aws):
    (summary,) = collect("iam.account_summary")
    assert summary.arn == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert "AccountMFAEnabled" in summary.data["SummaryMap"]


def test_credential_report_gives_one_resource_per_user(aws, no_report_wait):
    iam = boto3.client("iam")
    for name in ("alice", "bob"):
        iam.create_user(UserName=name)
    iam.create_login_profile(UserName="alice", Password="correct-horse-battery-1A!")
    users = {resource.data["user"]: resource for resource in collect("iam.credential_report")}
    assert set(users) == {"alice", "bob"}
    assert users["alice"].type == "AWS::IAM::User"
    assert users["alice"].arn == f"arn:aws:iam::{ACCOUNT_ID}:user/alice"
    assert users["alice"].data["password_enabled"] == "true"
    assert users["bob"].data["password_enabled"] == "false"
    assert "access_key_1_last_rotated" in users["bob"].data


REPORT_HEADER = "user,arn,user_creation_time,password_enabled,mfa_active,access_key_1_active"
REPORT = (
    f"{REPORT_HEADER}\n"
    f"<root_account>,arn:aws:iam::{ACCOUNT_ID}:root,2020-01-01T00:00:00+00:00,"
    "not_supported,true,false\n"
    f"carol,arn:aws:iam::{ACCOUNT_ID}:user/carol,2021-01-01T00:00:00+00:00,true,false,true\n"
)


def stub_report(stubber: Stubber, not_ready: int) -> None:
    stubber.add_response("generate_credential_report", {"State": "STARTED"})
    for _ in range(not_ready):
        stubber.add_client_error("get_credential_report", service_error_code="ReportInProgress")
    stubber.add_response(
        "get_credential_report", {"Content": REPORT.encode(), "ReportFormat": "text/csv"}
    )
    stubber.add_response(
        "get_account_authorization_details",
        {
            "UserDetailList": [
                {
                    "UserName": "carol",
                    "UserId": "AIDAEXAMPLEEXAMPLE01",
                    "Path": "/",
                    "Arn": f"arn:aws:iam::{ACCOUNT_ID}:user/carol",
                    "CreateDate": "2021-01-01T00:00:00Z",
                    "AttachedManagedPolicies": [
                        {"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY_ACCESS}
                    ],
                    "UserPolicyList": [],
                }
            ],
            "IsTruncated": False,
        },
    )


def test_root_row_gets_its_own_type_and_arn_after_waiting(no_report_wait):
    # moto's report has no root row (docs/controls.md); a stubbed report has one.
    ctx = make_ctx()
    with Stubber(ctx.client("iam")) as stubber:
        stub_report(stubber, not_ready=2)
        resources = collect("iam.credential_report", ctx)
        stubber.assert_no_pending_responses()
    (root,) = by_type(resources, "AWS::IAM::RootUser")
    assert root.arn == f"arn:aws:iam::{ACCOUNT_ID}:root-user"
    assert root.data["mfa_active"] == "true"
    (carol,) = by_type(resources, "AWS::IAM::User")
    assert carol.arn == f"arn:aws:iam::{ACCOUNT_ID}:user/carol"
    # The same unit's authorization details give each user its direct policies.
    assert carol.data["DirectPolicies"] == {"attached": 1, "inline": 0}


def test_credential_report_wait_is_bounded(no_report_wait):
    ctx = make_ctx()
    with Stubber(ctx.client("iam")) as stubber:
        stubber.add_response("generate_credential_report", {"State": "STARTED"})
        for _ in range(iam_collectors.CREDENTIAL_REPORT_TRIES):
            stubber.add_client_error("get_credential_report", service_error_code="ReportInProgress")
        with pytest.raises(Unavailable, match="GetCredentialReport"):
            collect("iam.credential_report", ctx)
        stubber.assert_no_pending_responses()


def test_oidc_providers_are_described(aws):
    iam = boto3.client("iam")
    arns = {
        iam.create_open_id_connect_provider(
            Url=f"https://oidc{index}.example.com",
            ThumbprintList=["a" * 40],
            ClientIDList=["sts.amazonaws.com"],
        )["OpenIDConnectProviderArn"]
        for index in range(3)
    }
    providers = collect("iam.oidc_providers")
    assert {provider.arn for provider in providers} == arns
    assert all(provider.type == "AWS::IAM::OIDCProvider" for provider in providers)
    assert {provider.data["Url"] for provider in providers} == {
        f"oidc{index}.example.com" for index in range(3)
    }
    assert all(provider.data["ClientIDList"] == ["sts.amazonaws.com"] for provider in providers)


def test_oidc_provider_detail_denied_is_noted_missing(aws, monkeypatch):
    boto3.client("iam").create_open_id_connect_provider(
        Url="https://oidc.example.com", ThumbprintList=["a" * 40]
    )
    ctx = make_ctx()
    real_call = ctx.call

    def call(service, operation, **params):
        if operation == "get_open_id_connect_provider":
            raise Denied("iam:GetOpenIDConnectProvider", "missing permission (AccessDenied)")
        return real_call(service, operation, **params)

    monkeypatch.setattr(ctx, "call", call)
    (provider,) = collect("iam.oidc_providers", ctx)
    assert provider.missing == {
        "Url": "missing permission (AccessDenied): iam:GetOpenIDConnectProvider"
    }


def make_profile_role(iam, name: str, *, profile: bool = True) -> None:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST)
    if profile:
        iam.create_instance_profile(InstanceProfileName=f"{name}-profile")
        iam.add_role_to_instance_profile(InstanceProfileName=f"{name}-profile", RoleName=name)


@pytest.mark.slow
def test_instance_profile_roles_admin_equivalence(aws_with_managed_policies):
    iam = boto3.client("iam")
    make_profile_role(iam, "admin")
    iam.attach_role_policy(
        RoleName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    make_profile_role(iam, "reader")
    iam.attach_role_policy(RoleName="reader", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    make_profile_role(iam, "custom-admin")
    custom = iam.create_policy(PolicyName="everything", PolicyDocument=json.dumps(FULL_ADMIN))
    iam.attach_role_policy(RoleName="custom-admin", PolicyArn=custom["Policy"]["Arn"])
    make_profile_role(iam, "inline-admin")
    iam.put_role_policy(
        RoleName="inline-admin", PolicyName="all", PolicyDocument=json.dumps(FULL_ADMIN)
    )
    make_profile_role(iam, "no-profile", profile=False)
    iam.attach_role_policy(
        RoleName="no-profile", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )

    roles = {
        resource.data["RoleName"]: resource for resource in collect("iam.instance_profile_roles")
    }

    assert set(roles) == {"admin", "reader", "custom-admin", "inline-admin"}
    admin = roles["admin"]
    assert admin.type == "AWS::IAM::InstanceProfileRole"
    assert admin.arn == f"arn:aws:iam::{ACCOUNT_ID}:role/admin"
    assert admin.data["InstanceProfileArns"] == [
        f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/admin-profile"
    ]
    assert admin.data["AttachedAdministratorAccess"] is True
    assert admin.data["AdminEquivalent"] is True
    assert policy_grants_full_admin(
        admin.data["ManagedPolicyDocuments"]["arn:aws:iam::aws:policy/AdministratorAccess"]
    )
    reader = roles["reader"]
    assert reader.data["AttachedAdministratorAccess"] is False
    assert reader.data["AdminEquivalent"] is False
    assert reader.data["ManagedPolicyDocuments"]["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert roles["custom-admin"].data["AttachedAdministratorAccess"] is False
    assert roles["custom-admin"].data["AdminEquivalent"] is True
    assert roles["inline-admin"].data["AdminEquivalent"] is True
    assert roles["inline-admin"].data["RolePolicyList"][0]["PolicyDocument"] == FULL_ADMIN


def test_instance_profile_roles_with_a_small_page_size_still_see_everything(aws, monkeypatch):
    # moto ignores MaxItems and answers in one page; the stubbed test below follows markers.
    monkeypatch.setattr(iam_collectors, "PAGE_SIZE", 1)
    iam = boto3.client("iam")
    for index in range(3):
        make_profile_role(iam, f"role-{index}")
        iam.put_role_policy(
            RoleName=f"role-{index}", PolicyName="read", PolicyDocument=json.dumps(READ_ONLY)
        )
    roles = collect("iam.instance_profile_roles")
    assert {role.data["RoleName"] for role in roles} == {"role-0", "role-1", "role-2"}
    assert not any(role.data["AdminEquivalent"] for role in roles)


def role_detail(name: str, attached: list[str]) -> dict:
    arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"
    return {
        "RoleName": name,
        "Arn": arn,
        "InstanceProfileList": [
            {
                "Path": "/",
                "InstanceProfileName": name,
                "InstanceProfileId": "AIPAEXAMPLEEXAMPLE01",
                "Arn": f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{name}",
                "CreateDate": "2024-01-01T00:00:00Z",
                "Roles": [],
            }
        ],
        "RolePolicyList": [],
        "AttachedManagedPolicies": [
            {"PolicyName": policy_arn.rsplit("/", 1)[1], "PolicyArn": policy_arn}
            for policy_arn in attached
        ],
    }


def test_instance_profile_roles_follow_pagination_markers(monkeypatch):
    monkeypatch.setattr(iam_collectors, "PAGE_SIZE", 1)
    policy_arn = f"arn:aws:iam::{ACCOUNT_ID}:policy/everything"
    ctx = make_ctx()
    with Stubber(ctx.client("iam")) as stubber:
        stubber.add_response(
            "get_account_authorization_details",
            {"RoleDetailList": [role_detail("one", [])], "IsTruncated": True, "Marker": "m1"},
            {"Filter": ["Role"], "MaxItems": 1},
        )
        stubber.add_response(
            "get_account_authorization_details",
            {"RoleDetailList": [role_detail("two", [policy_arn])], "IsTruncated": False},
            {"Filter": ["Role"], "MaxItems": 1, "Marker": "m1"},
        )
        stubber.add_response(
            "get_account_authorization_details",
            {
                "Policies": [
                    {
                        "PolicyName": "everything",
                        "Arn": policy_arn,
                        "DefaultVersionId": "v2",
                        "PolicyVersionList": [
                            # URL-encoded text, as IAM sends it on the wire.
                            {"Document": "%7B%22Statement%22%3A%5B%5D%7D", "VersionId": "v1"},
                            {
                                "Document": json.dumps(FULL_ADMIN),
                                "VersionId": "v2",
                                "IsDefaultVersion": True,
                            },
                        ],
                    }
                ],
                "IsTruncated": False,
            },
            {"Filter": ["LocalManagedPolicy", "AWSManagedPolicy"], "MaxItems": 1},
        )
        roles = {role.data["RoleName"]: role for role in collect("iam.instance_profile_roles", ctx)}
        stubber.assert_no_pending_responses()
    assert set(roles) == {"one", "two"}
    assert roles["one"].data["AdminEquivalent"] is False
    assert roles["two"].data["ManagedPolicyDocuments"] == {policy_arn: FULL_ADMIN}
    assert roles["two"].data["AdminEquivalent"] is True


def test_no_instance_profile_roles_skips_the_policy_listing(aws):
    boto3.client("iam").create_role(RoleName="lonely", AssumeRolePolicyDocument=EC2_TRUST)
    ctx = make_ctx()
    assert collect("iam.instance_profile_roles", ctx) == []
    assert ctx.api_calls["iam:GetAccountAuthorizationDetails"] == 1


def statement(**fields) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **fields}]}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (FULL_ADMIN, True),
        (statement(Action="*:*", Resource="*"), True),
        (statement(Action=["s3:GetObject", "*"], Resource="*"), True),
        (statement(Action="*", Resource=["arn:aws:s3:::bucket", "*"]), True),
        (statement(NotAction="iam:*", Resource="*"), True),
        (statement(NotAction=["iam:*"], Resource="arn:aws:s3:::bucket"), False),
        (
            statement(
                Action="*", Resource="*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}
            ),
            False,
        ),
        (statement(Action="*", Resource="arn:aws:s3:::bucket/*"), False),
        (statement(Action="s3:*", Resource="*"), False),
        ({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}, False),
        ({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}, True),
        (json.dumps(FULL_ADMIN), True),
        (
            "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%7D",
            True,
        ),
        ({"Version": "2012-10-17"}, False),
    ],
)
def test_policy_grants_full_admin(document, expected):
    assert policy_grants_full_admin(document) is expected


# S3 -------------------------------------------------------------------------------------------

TLS_ONLY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def test_account_public_access_block_never_configured(aws):
    (block,) = collect("s3.account_public_access_block")
    assert block.type == "AWS::S3::AccountPublicAccessBlock"
    assert block.arn == f"arn:aws:s3control::{ACCOUNT_ID}:public-access-block"
    assert block.data["Configured"] is False
    assert set(block.data["PublicAccessBlockConfiguration"].values()) == {False}
    assert len(block.data["PublicAccessBlockConfiguration"]) == 4


def test_account_public_access_block_configured(aws):
    flags = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False,
    }
    boto3.client("s3control", region_name="us-east-1").put_public_access_block(
        AccountId=ACCOUNT_ID, PublicAccessBlockConfiguration=flags
    )
    (block,) = collect("s3.account_public_access_block")
    assert block.data == {"PublicAccessBlockConfiguration": flags, "Configured": True}


@pytest.fixture
def buckets(aws):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="plain")
    s3.create_bucket(Bucket="tls-only")
    s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps(TLS_ONLY_POLICY))
    s3.put_public_access_block(
        Bucket="tls-only",
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        ),
    )
    regional = boto3.client("s3", region_name="eu-west-1")
    regional.create_bucket(
        Bucket="encrypted-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    regional.put_bucket_encryption(
        Bucket="encrypted-eu",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )
    regional.put_bucket_versioning(
        Bucket="encrypted-eu", VersioningConfiguration={"Status": "Enabled"}
    )


def test_buckets_carry_their_protection_settings(buckets):
    found = {resource.data["Name"]: resource for resource in collect("s3.buckets")}
    assert set(found) == {"plain", "tls-only", "encrypted-eu"}

    plain = found["plain"]
    assert plain.type == "AWS::S3::Bucket"
    assert plain.arn == "arn:aws:s3:::plain"
    assert plain.region == "global"
    assert plain.data["Region"] == "us-east-1"
    assert plain.data["ServerSideEncryptionConfiguration"] is None
    assert plain.data["PublicAccessBlockConfiguration"] is None
    assert plain.data["Policy"] is None
    assert plain.data["DeniesInsecureTransport"] is False
    assert plain.data["Versioning"]["Status"] is None
    assert plain.missing == {}

    tls = found["tls-only"].data
    assert tls["DeniesInsecureTransport"] is True
    assert tls["Policy"] == TLS_ONLY_POLICY
    assert tls["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True

    eu = found["encrypted-eu"].data
    assert eu["Region"] == "eu-west-1"
    (rule,) = eu["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert eu["Versioning"]["Status"] == "Enabled"


def test_bucket_calls_go_to_the_bucket_region(buckets, monkeypatch):
    ctx = make_ctx()
    real_call = ctx.call
    regions = {}

    def call(service, operation, *, region=None, **params):
        if params.get("Bucket") == "encrypted-eu":
            regions[operation] = region
        return real_call(service, operation, region=region, **params)

    monkeypatch.setattr(ctx, "call", call)
    collect("s3.buckets", ctx)
    assert regions.pop("get_bucket_location") is None, "asked where the global unit calls"
    assert set(regions.values()) == {"eu-west-1"}
    assert set(regions) == {
        "get_bucket_encryption",
        "get_bucket_versioning",
        "get_bucket_policy",
        "get_public_access_block",
        "get_bucket_acl",
        "get_bucket_ownership_controls",
    }


def test_denied_bucket_detail_is_noted_missing(buckets, monkeypatch):
    ctx = make_ctx()
    real_call = ctx.call

    def call(service, operation, **params):
        if operation == "get_bucket_policy":
            raise Denied("s3:GetBucketPolicy", "missing permission (AccessDenied)")
        return real_call(service, operation, **params)

    monkeypatch.setattr(ctx, "call", call)
    found = {resource.data["Name"]: resource for resource in collect("s3.buckets", ctx)}
    assert found["tls-only"].missing == {
        "Policy": "missing permission (AccessDenied): s3:GetBucketPolicy"
    }
    assert found["tls-only"].data["Policy"] is None
    assert found["tls-only"].data["ServerSideEncryptionConfiguration"] is None


def test_denied_bucket_listing_propagates(aws, monkeypatch):
    ctx = make_ctx()

    def paginate(service, operation, result_key, **params):
        raise Denied("s3:ListBuckets", "missing permission (AccessDenied)")

    monkeypatch.setattr(ctx, "paginate", paginate)
    with pytest.raises(Denied):
        collect("s3.buckets", ctx)


def test_bucket_cap_warns_without_names_and_keeps_the_rest_uninspected(buckets, settings):
    settings.SCAN_PER_ITEM_CALL_CAP = 2
    ctx = make_ctx()
    resources = collect("s3.buckets", ctx)
    assert ctx.warnings == ["Only the first 2 of 3 buckets were inspected (cap)."]
    assert len(resources) == 3
    assert [bool(r.missing) for r in resources] == [False, False, True]
    assert set(resources[2].missing.values()) == {NOT_INSPECTED}
    assert ctx.api_calls["s3:GetBucketPolicy"] == 2


def test_bucket_and_key_rules_past_the_cap_are_not_evaluated(buckets, settings):
    settings.SCAN_PER_ITEM_CALL_CAP = 0
    kms = boto3.client("kms", region_name="eu-west-1")
    kms.create_key()
    catalog = load_catalog()
    resources = collect("s3.buckets") + REGISTRY["kms.keys"].collect(
        CollectContext(
            session=boto3.Session(), account=AccountContext(ACCOUNT_ID), region="eu-west-1"
        )
    )
    assert {r.type for r in resources} == {"AWS::S3::Bucket", "AWS::KMS::Key"}
    statuses = {
        (evaluation.rule.resource_type, evaluation.result.status)
        for evaluation in evaluate(catalog, resources)
    }
    assert ("AWS::S3::Bucket", "NOT_EVALUATED") in statuses
    assert ("AWS::KMS::Key", "NOT_EVALUATED") in statuses
    assert {status for _, status in statuses} == {"NOT_EVALUATED"}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (TLS_ONLY_POLICY, True),
        (None, False),
        (
            {
                "Statement": [
                    {
                        **TLS_ONLY_POLICY["Statement"][0],
                        "Principal": {"AWS": ["*"]},
                        "Condition": {"bool": {"AWS:SecureTransport": ["false"]}},
                    }
                ]
            },
            True,
        ),
        ({"Statement": [{**TLS_ONLY_POLICY["Statement"][0], "Effect": "Allow"}]}, False),
        ({"Statement": [{**TLS_ONLY_POLICY["Statement"][0], "Action": "s3:GetObject"}]}, False),
        (
            {
                "Statement": [
                    {
                        **TLS_ONLY_POLICY["Statement"][0],
                        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    }
                ]
            },
            False,
        ),
        (
            {
                "Statement": [
                    {
                        **TLS_ONLY_POLICY["Statement"][0],
                        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                    }
                ]
            },
            False,
        ),
    ],
)
def test_denies_insecure_transport(policy, expected):
    assert denies_insecure_transport(policy) is expected


# CloudTrail -----------------------------------------------------------------------------------


def test_no_trails_still_gives_the_account_roll_up(aws):
    (account,) = collect("cloudtrail.trails")
    assert account.type == "AWS::CloudTrail::AccountTrails"
    assert account.arn == f"arn:aws:cloudtrail::{ACCOUNT_ID}:trails"
    assert account.data == {"Trails": [], "MonitoredLogGroups": 0, "MetricFilterAlarms": []}


def test_trails_with_status_and_selectors(aws):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-logs")
    # Homed outside us-east-1: listed from there, detailed in its home region.
    eu = boto3.client("cloudtrail", region_name="eu-west-1")
    eu.create_trail(
        Name="org-wide",
        S3BucketName="trail-logs",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId="arn:aws:kms:eu-west-1:123456789012:key/example",
    )
    eu.start_logging(Name="org-wide")
    eu.put_event_selectors(
        TrailName="org-wide",
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )
    boto3.client("cloudtrail", region_name="us-east-1").create_trail(
        Name="local", S3BucketName="trail-logs"
    )

    resources = collect("cloudtrail.trails")

    trails = {
        resource.data["Name"]: resource for resource in by_type(resources, "AWS::CloudTrail::Trail")
    }
    assert set(trails) == {"org-wide", "local"}
    wide = trails["org-wide"]
    assert wide.arn == f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT_ID}:trail/org-wide"
    assert wide.data["Status"]["IsLogging"] is True
    assert wide.data["EventSelectors"][0]["ReadWriteType"] == "All"
    assert wide.data["LogsAllManagementEvents"] is True
    assert trails["local"].data["Status"]["IsLogging"] is False
    # moto stores no default selector for a new trail; real AWS would return one.
    assert trails["local"].data["LogsAllManagementEvents"] is False

    (account,) = by_type(resources, "AWS::CloudTrail::AccountTrails")
    summaries = sorted(account.data["Trails"], key=lambda summary: summary["HomeRegion"])
    assert summaries == [
        {
            "HomeRegion": "eu-west-1",
            "IsMultiRegionTrail": True,
            "IsOrganizationTrail": False,
            "LogFileValidationEnabled": True,
            "KmsKeyIdPresent": True,
            "IsLogging": True,
            "LogsAllManagementEvents": True,
            "S3DataEvents": {"read": False, "write": False},
        },
        {
            "HomeRegion": "us-east-1",
            "IsMultiRegionTrail": False,
            "IsOrganizationTrail": False,
            "LogFileValidationEnabled": False,
            "KmsKeyIdPresent": False,
            "IsLogging": False,
            "LogsAllManagementEvents": False,
            "S3DataEvents": {"read": False, "write": False},
        },
    ]


@pytest.fixture
def trails_listed_account_wide(monkeypatch):
    """ListTrails as AWS answers it: every trail of the account, from any region ("Lists trails
    that are in the current account"). moto lists a region's own and the multi-region ones."""
    from moto.cloudtrail.models import CloudTrailBackend, cloudtrail_backends

    def list_trails(backend):
        regions = cloudtrail_backends[backend.account_id].values()
        return [trail for region in regions for trail in region.trails.values()]

    monkeypatch.setattr(CloudTrailBackend, "list_trails", list_trails)


def create_trail(region: str, name: str, **options) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=f"{name}-logs")
    cloudtrail = boto3.client("cloudtrail", region_name=region)
    cloudtrail.create_trail(Name=name, S3BucketName=f"{name}-logs", **options)
    cloudtrail.start_logging(Name=name)
    cloudtrail.put_event_selectors(
        TrailName=name,
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )


def rule_results(resources) -> dict[tuple[str, str], str]:
    """(rule id, resource ARN) -> status."""
    return {
        (evaluation.rule.id, evaluation.resource.arn): evaluation.result.status
        for evaluation in evaluate(load_catalog(), resources)
    }


def test_single_region_trail_homed_elsewhere_is_collected_and_evaluated(
    aws, trails_listed_account_wide
):
    create_trail("eu-west-1", "eu-only", EnableLogFileValidation=True)

    resources = collect("cloudtrail.trails")

    (trail,) = by_type(resources, "AWS::CloudTrail::Trail")
    assert trail.arn == f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT_ID}:trail/eu-only"
    assert trail.data["Status"]["IsLogging"] is True
    assert trail.data["LogsAllManagementEvents"] is True
    results = rule_results(resources)
    assert results["CLOUDTRAIL_LOG_VALIDATION", trail.arn] == "PASS"
    # Logging every management event, but in one region only.
    account_arn = f"arn:aws:cloudtrail::{ACCOUNT_ID}:trails"
    assert results["CLOUDTRAIL_MULTI_REGION", account_arn] == "FAIL"


def test_multi_region_trail_is_counted_once(aws, trails_listed_account_wide):
    create_trail("us-east-1", "everywhere", IsMultiRegionTrail=True)
    create_trail("eu-west-1", "eu-only")

    resources = collect("cloudtrail.trails")

    trails = by_type(resources, "AWS::CloudTrail::Trail")
    assert sorted(trail.data["Name"] for trail in trails) == ["eu-only", "everywhere"]
    (account,) = by_type(resources, "AWS::CloudTrail::AccountTrails")
    assert sorted(summary["HomeRegion"] for summary in account.data["Trails"]) == [
        "eu-west-1",
        "us-east-1",
    ]
    (evaluation,) = [
        evaluation
        for evaluation in evaluate(load_catalog(), resources)
        if evaluation.rule.id == "CLOUDTRAIL_MULTI_REGION"
    ]
    assert evaluation.result.status == "PASS"
    assert evaluation.result.evidence["trail_count"] == 2
    assert evaluation.result.evidence["multi_region_trail_count"] == 1


def test_denied_trail_status_is_noted_missing(aws, monkeypatch):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-logs")
    boto3.client("cloudtrail", region_name="us-east-1").create_trail(
        Name="local", S3BucketName="trail-logs"
    )
    ctx = make_ctx()
    real_call = ctx.call

    def call(service, operation, **params):
        if operation == "get_trail_status":
            raise Denied("cloudtrail:GetTrailStatus", "missing permission (AccessDenied)")
        return real_call(service, operation, **params)

    monkeypatch.setattr(ctx, "call", call)
    trail, account = collect("cloudtrail.trails", ctx)
    assert trail.missing == {
        "Status": "missing permission (AccessDenied): cloudtrail:GetTrailStatus"
    }
    assert account.data["Trails"][0]["IsLogging"] is None


def test_read_only_auditor_sees_iam_and_is_denied_elsewhere(auditor_keys):
    session = boto3.Session(
        aws_access_key_id=auditor_keys["access_key_id"],
        aws_secret_access_key=auditor_keys["secret_access_key"],
    )
    ctx = CollectContext(session=session, account=AccountContext(ACCOUNT_ID), region="global")
    (policy,) = collect("iam.password_policy", ctx)
    assert policy.data == {"PasswordPolicy": None}
    with pytest.raises(Denied):
        collect("s3.buckets", ctx)
    # "No password policy" is an answer to an authorized call: the action is recorded as allowed.
    assert ctx.permissions == {
        "iam:GetAccountPasswordPolicy": "ok",
        "s3:ListAllMyBuckets": "denied",
    }


# Organizations --------------------------------------------------------------------------------


def test_account_outside_an_organization(aws):
    (organization,) = collect("organizations.organization")
    assert organization.type == "AWS::Organizations::Organization"
    assert organization.arn == f"arn:aws:organizations::{ACCOUNT_ID}:organization/none"
    assert organization.data == {"InOrganization": False}


def test_account_in_an_organization(aws):
    created = boto3.client("organizations", region_name="us-east-1").create_organization(
        FeatureSet="ALL"
    )["Organization"]
    (organization,) = collect("organizations.organization")
    assert organization.arn == created["Arn"]
    assert organization.data["InOrganization"] is True
    assert organization.data["FeatureSet"] == "ALL"


def test_organizations_denied_propagates(monkeypatch):
    ctx = make_ctx()

    def call(service, operation, **params):
        raise Denied("organizations:DescribeOrganization", "missing permission (AccessDenied)")

    monkeypatch.setattr(ctx, "call", call)
    with pytest.raises(Denied):
        collect("organizations.organization", ctx)
