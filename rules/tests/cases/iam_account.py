"""Cases for account-wide identity basics: root's MFA device and recent use, direct user
policies, keys made at setup, the support role, CloudShell, server certificates, Access
Analyzer and the security contact."""

from datetime import UTC, datetime, timedelta

from rules.tests.cases import Example


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


def _root(**columns: str) -> dict:
    row = {
        "user": "<root_account>",
        "password_last_used": "N/A",
        "access_key_1_last_used_date": "N/A",
        "access_key_2_last_used_date": "N/A",
    }
    row.update(columns)
    return row


def _user(direct=None, **columns: str) -> dict:
    row = {
        "password_enabled": "true",
        "access_key_1_active": "false",
        "access_key_1_last_used_date": "N/A",
        "access_key_2_active": "false",
        "access_key_2_last_used_date": "N/A",
        "DirectPolicies": direct if direct is not None else {"attached": 0, "inline": 0},
    }
    row.update(columns)
    return row


CASES = {
    "IAM_ROOT_HARDWARE_MFA": {
        "FAIL": [
            {"SummaryMap": {"AccountMFAEnabled": 1}, "RootVirtualMfaDevice": True},
            {"SummaryMap": {"AccountMFAEnabled": 0}, "RootVirtualMfaDevice": False},
        ],
        "PASS": [{"SummaryMap": {"AccountMFAEnabled": 1}, "RootVirtualMfaDevice": False}],
        "NOT_EVALUATED": [
            Example(
                {"SummaryMap": {"AccountMFAEnabled": 1}, "RootVirtualMfaDevice": None},
                missing={"RootVirtualMfaDevice": "denied: iam:ListVirtualMFADevices"},
            )
        ],
    },
    "IAM_ROOT_RECENT_USE": {
        "FAIL": [
            _root(password_last_used=_days_ago(3)),
            _root(access_key_2_last_used_date=_days_ago(80)),
        ],
        "PASS": [_root(), _root(password_last_used=_days_ago(200))],
    },
    "IAM_USER_DIRECT_POLICIES": {
        "FAIL": [_user({"attached": 1, "inline": 0}), _user({"attached": 0, "inline": 2})],
        "PASS": [_user()],
        "NOT_EVALUATED": [
            Example(
                {**_user(), "DirectPolicies": None},
                missing={"DirectPolicies": "denied: iam:GetAccountAuthorizationDetails"},
            ),
            {**_user(), "DirectPolicies": None},
        ],
    },
    "IAM_KEY_CREATED_AT_SETUP": {
        "FAIL": [_user(access_key_1_active="true")],
        "PASS": [
            _user(),
            _user(access_key_2_active="true", access_key_2_last_used_date=_days_ago(1)),
        ],
    },
    "IAM_SUPPORT_ROLE": {
        "FAIL": [{"SupportRoleCount": 0, "CloudShellFullAccessAttachments": 0}],
        "PASS": [{"SupportRoleCount": 1, "CloudShellFullAccessAttachments": 0}],
    },
    "IAM_CLOUDSHELL_FULL_ACCESS": {
        "FAIL": [{"SupportRoleCount": 1, "CloudShellFullAccessAttachments": 2}],
        "PASS": [{"SupportRoleCount": 1, "CloudShellFullAccessAttachments": 0}],
    },
    "IAM_EXPIRED_SERVER_CERT": {
        "FAIL": [{"Expiration": datetime(2020, 1, 1, tzinfo=UTC)}],
        "PASS": [{"Expiration": datetime.now(UTC) + timedelta(days=300)}],
        "NOT_EVALUATED": [{"Expiration": None}],
    },
    "ACCESS_ANALYZER_ENABLED": {
        "FAIL": [{"Analyzers": []}, {"Analyzers": [{"type": "ACCOUNT", "status": "DISABLED"}]}],
        "PASS": [{"Analyzers": [{"type": "ORGANIZATION", "status": "ACTIVE"}]}],
    },
    "ACCOUNT_SECURITY_CONTACT": {
        "FAIL": [{"Registered": False}],
        "PASS": [{"Registered": True}],
    },
}
