"""Cases for the CIS section-4 metric filters and alarms, read from the account's trails
roll-up: the patterns of the monitored log groups' filters, with their alarms' state."""

from rules.tests.cases import Example


def _trails(*filters: dict, monitored: int = 1) -> dict:
    return {"Trails": [], "MonitoredLogGroups": monitored, "MetricFilterAlarms": list(filters)}


def _filter(pattern: str, alarmed: bool = True, subscribed: bool = True) -> dict:
    return {"Pattern": pattern, "Alarmed": alarmed, "Subscribed": subscribed}


def _events(*names: str, source: str = "") -> str:
    """A filter pattern in the CIS layout: spaces and quotes the evaluator ignores."""
    inner = " || ".join(f'($.eventName = "{name}")' for name in names)
    return f"{{ ($.eventSource = {source}) && ({inner}) }}" if source else f"{{ {inner} }}"


IAM_POLICY_EVENTS = [
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
]
SECURITY_GROUP_EVENTS = [
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
]
ROOT_PATTERN = (
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
    '$.eventType != "AwsServiceEvent" }'
)
UNAUTHORIZED_PATTERN = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
)


def _both(pattern: str) -> dict:
    """A failing and a passing case for one pattern: no alarm subscriber, then a complete set."""
    return {
        "FAIL": [
            _trails(),
            _trails(monitored=0),
            _trails(_filter(pattern, subscribed=False)),
            _trails(_filter(pattern, alarmed=False, subscribed=False)),
        ],
        "PASS": [_trails(_filter("{ $.eventName = Other }"), _filter(pattern))],
    }


def _cis_events(*names: str, source: str = "") -> dict:
    return _both(_events(*names, source=source))


CASES = {
    "CLOUDWATCH_ALARM_UNAUTHORIZED_API_CALLS": {
        **_both(UNAUTHORIZED_PATTERN),
        "NOT_EVALUATED": [
            Example(
                {"Trails": [], "MonitoredLogGroups": 1, "MetricFilterAlarms": []},
                missing={"MetricFilterAlarms": "denied: logs:DescribeMetricFilters"},
            )
        ],
    },
    "CLOUDWATCH_ALARM_CONSOLE_SIGNIN_WITHOUT_MFA": _both(
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'
    ),
    "CLOUDWATCH_ALARM_ROOT_USAGE": _both(ROOT_PATTERN),
    "CLOUDWATCH_ALARM_IAM_POLICY_CHANGES": {
        **_cis_events(*IAM_POLICY_EVENTS),
        # A filter missing one of the CIS calls does not count.
        "FAIL": [_trails(_filter(_events(*IAM_POLICY_EVENTS[:-1])))],
    },
    "CLOUDWATCH_ALARM_CLOUDTRAIL_CHANGES": _cis_events(
        "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"
    ),
    "CLOUDWATCH_ALARM_CONSOLE_AUTH_FAILURES": _both(
        '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'
    ),
    "CLOUDWATCH_ALARM_CMK_DISABLE_OR_DELETION": _cis_events(
        "DisableKey", "ScheduleKeyDeletion", source="kms.amazonaws.com"
    ),
    "CLOUDWATCH_ALARM_S3_BUCKET_POLICY_CHANGES": _cis_events(
        *[
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
        ],
        source="s3.amazonaws.com",
    ),
    "CLOUDWATCH_ALARM_CONFIG_CHANGES": _cis_events(
        "StopConfigurationRecorder",
        "DeleteDeliveryChannel",
        "PutDeliveryChannel",
        "PutConfigurationRecorder",
        source="config.amazonaws.com",
    ),
    "CLOUDWATCH_ALARM_SECURITY_GROUP_CHANGES": _cis_events(*SECURITY_GROUP_EVENTS),
    "CLOUDWATCH_ALARM_NACL_CHANGES": _cis_events(
        *[
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ]
    ),
    "CLOUDWATCH_ALARM_NETWORK_GATEWAY_CHANGES": _cis_events(
        *[
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        ]
    ),
    "CLOUDWATCH_ALARM_ROUTE_TABLE_CHANGES": _cis_events(
        *[
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        ],
        source="ec2.amazonaws.com",
    ),
    "CLOUDWATCH_ALARM_VPC_CHANGES": _cis_events(
        *[
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
        ]
    ),
    "CLOUDWATCH_ALARM_ORGANIZATIONS_CHANGES": _both(
        "{ ($.eventSource = organizations.amazonaws.com) && ($.readOnly IS FALSE) }"
    ),
}
