"""Cases for IAM: the root user, the password policy, users' credentials, policies granting
everything, and EC2 instance-profile roles."""

from datetime import UTC, datetime, timedelta

LONG_AGO = "2001-01-01T00:00:00+00:00"


def _days_ago(days: int) -> str:
    """A credential-report timestamp; thresholds are 45 and 90 days, so 10 and 400 stay clear."""
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


RECENT = _days_ago(10)
OLD = _days_ago(400)


def _user(**columns: str) -> dict:
    """A credential-report row of a user with no password and no keys, overridden by columns."""
    row = {
        "user": "case-user",
        "arn": "arn:aws:iam::123456789012:user/case-user",
        "user_creation_time": LONG_AGO,
        "password_enabled": "false",
        "password_last_used": "N/A",
        "password_last_changed": "N/A",
        "password_next_rotation": "N/A",
        "mfa_active": "false",
        "access_key_1_active": "false",
        "access_key_1_last_rotated": "N/A",
        "access_key_1_last_used_date": "N/A",
        "access_key_1_last_used_region": "N/A",
        "access_key_1_last_used_service": "N/A",
        "access_key_2_active": "false",
        "access_key_2_last_rotated": "N/A",
        "access_key_2_last_used_date": "N/A",
        "access_key_2_last_used_region": "N/A",
        "access_key_2_last_used_service": "N/A",
        "cert_1_active": "false",
        "cert_1_last_rotated": "N/A",
        "cert_2_active": "false",
        "cert_2_last_rotated": "N/A",
    }
    row.update(columns)
    return row


def _key(slot: int, rotated: str, used: str = "N/A", active: str = "true") -> dict:
    return {
        f"access_key_{slot}_active": active,
        f"access_key_{slot}_last_rotated": rotated,
        f"access_key_{slot}_last_used_date": used,
    }


def _password(last_used: str = "N/A", changed: str = LONG_AGO, mfa: str = "false") -> dict:
    return {
        "password_enabled": "true",
        "password_last_used": last_used,
        "password_last_changed": changed,
        "mfa_active": mfa,
    }


def _role(inline=(), managed=None, attached=(), admin_attached=False, admin_equivalent=False):
    """An instance-profile role as the IAM collector records it."""
    return {
        "RoleName": "case-role",
        "Arn": "arn:aws:iam::123456789012:role/case-role",
        "InstanceProfileArns": ["arn:aws:iam::123456789012:instance-profile/case-role"],
        "AttachedManagedPolicies": [
            {"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in attached
        ],
        "RolePolicyList": [
            {"PolicyName": f"inline-{index}", "PolicyDocument": document}
            for index, document in enumerate(inline)
        ],
        "ManagedPolicyDocuments": managed or {},
        "AttachedAdministratorAccess": admin_attached,
        "AdminEquivalent": admin_equivalent,
    }


def _allow(action, resource="*", **extra) -> dict:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": resource}]}
    statement = document["Statement"][0]
    if action is not None:
        statement["Action"] = action
    statement.update(extra)
    return document


ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
SSM_CORE_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
SSM_CORE = _allow(["ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel"])

CASES = {
    "IAM_ROOT_MFA": {
        "FAIL": [{"SummaryMap": {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0}}],
        "PASS": [{"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}}],
    },
    "IAM_ROOT_ACCESS_KEYS": {
        "FAIL": [{"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 1}}],
        "PASS": [{"SummaryMap": {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0}}],
        "NOT_EVALUATED": [{"SummaryMap": {"AccountMFAEnabled": 1}}],
    },
    "IAM_PASSWORD_MIN_LENGTH": {
        "FAIL": [
            # No policy: IAM's defaults allow 8 characters.
            {"PasswordPolicy": None},
            {"PasswordPolicy": {"MinimumPasswordLength": 13, "PasswordReusePrevention": 24}},
        ],
        "PASS": [
            {"PasswordPolicy": {"MinimumPasswordLength": 14}},
            {"PasswordPolicy": {"MinimumPasswordLength": 32, "PasswordReusePrevention": 1}},
        ],
    },
    "IAM_PASSWORD_REUSE": {
        "FAIL": [
            {"PasswordPolicy": None},
            # A policy that does not set reuse prevention omits the field.
            {"PasswordPolicy": {"MinimumPasswordLength": 14}},
            {"PasswordPolicy": {"MinimumPasswordLength": 14, "PasswordReusePrevention": 23}},
        ],
        "PASS": [{"PasswordPolicy": {"MinimumPasswordLength": 8, "PasswordReusePrevention": 24}}],
    },
    "IAM_CONSOLE_USER_NO_MFA": {
        "FAIL": [_user(**_password(mfa="false"))],
        "PASS": [
            _user(**_password(mfa="true")),
            # No console password: programmatic only, nothing to protect with MFA at sign-in.
            _user(**_key(1, RECENT)),
        ],
    },
    "IAM_CREDENTIALS_UNUSED_45D": {
        "FAIL": [
            _user(**_password(last_used=OLD, changed=OLD)),
            # Never used, set long ago: falls back to the date it was set.
            _user(**_password(last_used="N/A", changed=OLD)),
            # Key created long ago and never used.
            _user(**_key(1, rotated=OLD, used="N/A")),
            _user(**_key(2, rotated=RECENT, used=OLD)),
            # One fresh credential does not excuse a stale one.
            _user(**_password(last_used=RECENT), **_key(1, rotated=OLD, used=OLD)),
            # Report says "no_information" (use before tracking began): fall back, still old.
            _user(**_password(last_used="no_information", changed=LONG_AGO)),
        ],
        "PASS": [
            # No credentials at all.
            _user(),
            _user(**_password(last_used=RECENT, changed=OLD)),
            # Never used but only just set.
            _user(**_password(last_used="N/A", changed=RECENT)),
            _user(**_key(1, rotated=RECENT, used="N/A")),
            _user(**_key(1, rotated=OLD, used=RECENT), **_key(2, rotated=OLD, used=RECENT)),
            # An inactive stale key is already disabled.
            _user(**_key(1, rotated=OLD, used=OLD, active="false"), **_key(2, RECENT, RECENT)),
        ],
        "NOT_EVALUATED": [
            _user(**_key(1, rotated="N/A", used="N/A")),
            _user(
                password_enabled="true",
                password_last_used="N/A",
                password_last_changed="N/A",
                user_creation_time="not-a-date",
            ),
        ],
    },
    "IAM_ACCESS_KEY_NOT_ROTATED_90D": {
        "FAIL": [
            _user(**_key(1, rotated=OLD, used=RECENT)),
            _user(**_key(1, rotated=RECENT), **_key(2, rotated=LONG_AGO, used="N/A")),
            # An unknown date on one key does not hide another that is known to be old.
            _user(**_key(1, rotated="N/A"), **_key(2, rotated=OLD)),
        ],
        "PASS": [
            _user(),
            _user(**_key(1, rotated=RECENT, used=RECENT)),
            # Old but inactive.
            _user(**_key(1, rotated=OLD, active="false"), **_key(2, rotated=RECENT)),
            # Old password, fresh key: passwords are not access keys.
            _user(**_password(last_used=OLD, changed=OLD), **_key(1, rotated=RECENT)),
        ],
        "NOT_EVALUATED": [_user(**_key(1, rotated="N/A"))],
    },
    "IAM_MULTIPLE_ACTIVE_KEYS": {
        "FAIL": [_user(**_key(1, RECENT), **_key(2, RECENT))],
        "PASS": [
            _user(),
            _user(**_key(1, RECENT)),
            _user(**_key(1, RECENT), **_key(2, OLD, active="false")),
        ],
    },
    # What the iam.policies collector gives: managed policies attached somewhere, judged by
    # their default version; each principal's inline policies together.
    "IAM_FULL_ADMIN_POLICY": {
        "FAIL": [
            {"PolicyType": "customer_managed", "AttachmentCount": 2, "GrantsFullAdmin": True},
            # AdministratorAccess attached to anyone.
            {"PolicyType": "aws_managed", "AttachmentCount": 1, "GrantsFullAdmin": True},
            {
                "PolicyType": "inline",
                "PrincipalType": "user",
                "InlinePolicyCount": 2,
                "FullAdminPolicyCount": 1,
            },
        ],
        "PASS": [
            {"PolicyType": "customer_managed", "AttachmentCount": 1, "GrantsFullAdmin": False},
            {"PolicyType": "aws_managed", "AttachmentCount": 3, "GrantsFullAdmin": False},
            {
                "PolicyType": "inline",
                "PrincipalType": "role",
                "InlinePolicyCount": 1,
                "FullAdminPolicyCount": 0,
            },
        ],
        "NOT_EVALUATED": [
            {"PolicyType": "customer_managed", "AttachmentCount": 1, "GrantsFullAdmin": None},
        ],
    },
    "EC2_INSTANCE_ROLE_ADMIN": {
        "FAIL": [
            _role(
                attached=[ADMIN_ARN],
                managed={ADMIN_ARN: _allow("*")},
                admin_attached=True,
                admin_equivalent=True,
            ),
            # Inline "*" on "*" found by the collector.
            _role(inline=[_allow("*")], admin_equivalent=True),
            # AdministratorAccess attached even though its document was not returned.
            _role(attached=[ADMIN_ARN], managed={ADMIN_ARN: None}, admin_attached=True),
        ],
        "PASS": [
            _role(attached=[SSM_CORE_ARN], managed={SSM_CORE_ARN: SSM_CORE}),
            _role(),
        ],
        "NOT_EVALUATED": [
            # A managed policy the scan could not read might be the admin one.
            _role(attached=[SSM_CORE_ARN], managed={SSM_CORE_ARN: None}),
        ],
    },
    "EC2_INSTANCE_ROLE_PRIVESC": {
        "FAIL": [
            _role(inline=[_allow("iam:*")]),
            _role(inline=[_allow("iam:PassRole")]),
            # PassedToService narrows where the role goes, not which role: still escalation.
            _role(
                inline=[
                    _allow(
                        "iam:PassRole",
                        Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                    )
                ]
            ),
            _role(inline=[_allow(["s3:GetObject", "sts:AssumeRole"])]),
            # Wildcards and case: IAM action names are case-insensitive.
            _role(inline=[_allow("IAM:Put*")]),
            _role(inline=[_allow("iam:Attach*Policy")]),
            # Every role in the account is as broad as "*".
            _role(inline=[_allow("iam:PassRole", resource="arn:aws:iam::123456789012:role/*")]),
            # NotAction grants everything it does not list.
            _role(inline=[_allow(None, NotAction=["s3:*"])]),
            _role(
                attached=[ADMIN_ARN],
                managed={ADMIN_ARN: _allow("*")},
                admin_attached=True,
                admin_equivalent=True,
            ),
            # Statement given as a single object rather than a list.
            _role(
                inline=[
                    {
                        "Version": "2012-10-17",
                        "Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
                    }
                ]
            ),
        ],
        "PASS": [
            _role(attached=[SSM_CORE_ARN], managed={SSM_CORE_ARN: SSM_CORE}),
            # Read-only IAM actions are not escalation.
            _role(inline=[_allow(["iam:Get*", "iam:List*"])]),
            # PassRole limited to one named role.
            _role(
                inline=[_allow("iam:PassRole", resource="arn:aws:iam::123456789012:role/app-task")]
            ),
            # Deny statements grant nothing.
            _role(
                inline=[
                    {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*"}],
                    }
                ]
            ),
            # NotAction that excludes every escalation action.
            _role(inline=[_allow(None, NotAction=["iam:*", "sts:*"])]),
            _role(inline=[_allow("s3:*")]),
        ],
        "NOT_EVALUATED": [
            _role(
                attached=[SSM_CORE_ARN, ADMIN_ARN.replace("Administrator", "Custom")],
                managed={
                    SSM_CORE_ARN: SSM_CORE,
                    ADMIN_ARN.replace("Administrator", "Custom"): None,
                },
            ),
        ],
    },
}
