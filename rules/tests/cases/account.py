"""Cases for account basics: S3, CloudTrail, Config, GuardDuty, Security Hub and
Organizations."""

from datetime import UTC, datetime, timedelta

from rules.tests.cases import Example

LONG_AGO = "2001-01-01T00:00:00+00:00"
RECENTLY = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


BPA_ALL_ON = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}

OWNER_GRANT = {
    "Grantee": {"Type": "CanonicalUser", "ID": "case-owner-canonical-id"},
    "Permission": "FULL_CONTROL",
}
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def _group_grant(uri: str, permission: str) -> dict:
    return {"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission}


def _statement(action, principal="*", condition=None, effect="Allow") -> dict:
    statement = {
        "Effect": effect,
        "Principal": principal,
        "Action": action,
        "Resource": ["arn:aws:s3:::case-bucket", "arn:aws:s3:::case-bucket/*"],
    }
    if condition is not None:
        statement["Condition"] = condition
    return statement


def _policy(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# Public by its own means: every Block Public Access flag off, ACLs enabled.
BPA_OFF = dict.fromkeys(
    ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), False
)


def _open_bucket(**fields) -> dict:
    return _bucket(PublicAccessBlockConfiguration=None, ObjectOwnership="ObjectWriter", **fields)


SSE_S3 = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
SSE_KMS = {
    "Rules": [
        {
            "ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms",
                "KMSMasterKeyID": "arn:aws:kms:eu-west-1:123456789012:key/case",
            },
            "BucketKeyEnabled": True,
        }
    ]
}


def _bucket(**fields) -> dict:
    """A bucket as the S3 collector records it: private, encrypted, versioned, TLS-only."""
    data = {
        "Name": "case-bucket",
        "CreationDate": LONG_AGO,
        "Region": "eu-west-1",
        "ServerSideEncryptionConfiguration": SSE_S3,
        "PublicAccessBlockConfiguration": dict(BPA_ALL_ON),
        "Versioning": {"Status": "Enabled", "MFADelete": None},
        "Policy": None,
        "PolicyStatus": None,
        "DeniesInsecureTransport": False,
        "AccountPublicAccessBlock": dict.fromkeys(BPA_ALL_ON, False),
        "AclGrants": [OWNER_GRANT],
        "ObjectOwnership": "BucketOwnerEnforced",
    }
    data.update(fields)
    return data


TLS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::case-bucket", "arn:aws:s3:::case-bucket/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def _trail(**fields) -> dict:
    """An AccountTrails summary entry: a multi-region trail that logs everything."""
    summary = {
        "HomeRegion": "eu-west-1",
        "IsMultiRegionTrail": True,
        "IsOrganizationTrail": False,
        "LogFileValidationEnabled": True,
        "KmsKeyIdPresent": True,
        "IsLogging": True,
        "LogsAllManagementEvents": True,
        "S3DataEvents": {"read": True, "write": True},
    }
    summary.update(fields)
    return summary


def _trail_bucket(**fields) -> dict:
    """The trail's log bucket as the CloudTrail collector records it: private, logged."""
    bucket = {
        "Policy": _policy(
            _statement("s3:PutObject", principal={"Service": "cloudtrail.amazonaws.com"})
        ),
        "PolicyStatus": {"IsPublic": False},
        "PublicAccessBlockConfiguration": dict(BPA_ALL_ON),
        "AccountPublicAccessBlock": dict(BPA_OFF),
        "AclGrants": [OWNER_GRANT],
        "ObjectOwnership": "BucketOwnerEnforced",
        "LoggingEnabled": True,
    }
    bucket.update(fields)
    return bucket


def _trail_resource(**fields) -> dict:
    data = {
        "Name": "case-trail",
        "TrailARN": "arn:aws:cloudtrail:eu-west-1:123456789012:trail/case-trail",
        "HomeRegion": "eu-west-1",
        "S3BucketName": "case-trail-logs",
        "IsMultiRegionTrail": True,
        "IsOrganizationTrail": False,
        "IncludeGlobalServiceEvents": True,
        "LogFileValidationEnabled": True,
        "KmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/case",
        "CloudWatchLogsLogGroupArn": "arn:aws:logs:eu-west-1:123456789012:log-group:case:*",
        "Status": {"IsLogging": True, "LatestCloudWatchLogsDeliveryTime": RECENTLY},
        "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}],
        "AdvancedEventSelectors": [],
        "LogsAllManagementEvents": True,
        "S3DataEvents": {"read": False, "write": False},
        "TrailBucket": _trail_bucket(),
    }
    data.update(fields)
    return data


def _config(recorders=None, statuses=None, channels=None, **fields) -> dict:
    """A region's Config setup: one recorder of everything, recording, with a channel."""
    data = {
        "ConfigurationRecorders": (
            [
                {
                    "name": "default",
                    "roleARN": "arn:aws:iam::123456789012:role/config",
                    "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
                }
            ]
            if recorders is None
            else recorders
        ),
        "RecorderStatus": (
            [{"name": "default", "recording": True, "lastStatus": "Success"}]
            if statuses is None
            else statuses
        ),
        "DeliveryChannels": (
            [{"name": "default", "s3BucketName": "case-config"}] if channels is None else channels
        ),
    }
    data.update(fields)
    return data


CASES = {
    "COMMON_S3_ENCRYPTION": {
        "FAIL": [
            # Removed configuration: the collector records None, not a read error.
            _bucket(ServerSideEncryptionConfiguration=None),
            _bucket(ServerSideEncryptionConfiguration={"Rules": []}),
            _bucket(ServerSideEncryptionConfiguration={"Rules": [{"BucketKeyEnabled": True}]}),
        ],
        "PASS": [
            _bucket(),
            _bucket(ServerSideEncryptionConfiguration=SSE_KMS),
            _bucket(
                ServerSideEncryptionConfiguration={
                    "Rules": [
                        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse"}}
                    ]
                }
            ),
        ],
        "NOT_EVALUATED": [
            Example(
                _bucket(ServerSideEncryptionConfiguration=None),
                missing={"Encryption": "denied: s3:GetEncryptionConfiguration"},
            )
        ],
    },
    "S3_BUCKET_BPA": {
        "FAIL": [
            _bucket(PublicAccessBlockConfiguration=None),
            _bucket(PublicAccessBlockConfiguration={**BPA_ALL_ON, "RestrictPublicBuckets": False}),
            # A flag the API left out is not on.
            _bucket(
                PublicAccessBlockConfiguration={
                    key: value for key, value in BPA_ALL_ON.items() if key != "IgnorePublicAcls"
                }
            ),
        ],
        "PASS": [_bucket()],
        "NOT_EVALUATED": [
            Example(
                _bucket(PublicAccessBlockConfiguration=None),
                missing={"PublicAccessBlockConfiguration": "denied: s3:GetBucketPublicAccessBlock"},
            )
        ],
    },
    "S3_ACCOUNT_BPA": {
        "FAIL": [
            # Never configured: the collector fills in four False flags.
            {
                "PublicAccessBlockConfiguration": dict.fromkeys(BPA_ALL_ON, False),
                "Configured": False,
            },
            {
                "PublicAccessBlockConfiguration": {**BPA_ALL_ON, "BlockPublicPolicy": False},
                "Configured": True,
            },
        ],
        "PASS": [{"PublicAccessBlockConfiguration": dict(BPA_ALL_ON), "Configured": True}],
    },
    "S3_TLS_ONLY": {
        "FAIL": [
            _bucket(Policy=None, DeniesInsecureTransport=False),
            _bucket(
                Policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]},
                DeniesInsecureTransport=False,
            ),
        ],
        "PASS": [_bucket(Policy=TLS_POLICY, DeniesInsecureTransport=True)],
        "NOT_EVALUATED": [
            Example(
                _bucket(Policy=None, DeniesInsecureTransport=False),
                missing={"Policy": "denied: s3:GetBucketPolicy"},
            )
        ],
    },
    "S3_VERSIONING": {
        "FAIL": [
            # Never enabled: GetBucketVersioning answers without a Status.
            _bucket(Versioning={"Status": None, "MFADelete": None}),
            _bucket(Versioning={"Status": "Suspended", "MFADelete": None}),
        ],
        "PASS": [
            _bucket(),
            _bucket(Versioning={"Status": "Enabled", "MFADelete": "Enabled"}),
        ],
        "NOT_EVALUATED": [
            Example(
                _bucket(Versioning=None), missing={"Versioning": "denied: s3:GetBucketVersioning"}
            )
        ],
    },
    "S3_MFA_DELETE": {
        "FAIL": [
            _bucket(),
            _bucket(Versioning={"Status": "Enabled", "MFADelete": "Disabled"}),
            _bucket(Versioning={"Status": None, "MFADelete": None}),
        ],
        "PASS": [_bucket(Versioning={"Status": "Enabled", "MFADelete": "Enabled"})],
        "NOT_EVALUATED": [
            Example(
                _bucket(Versioning=None), missing={"Versioning": "denied: s3:GetBucketVersioning"}
            )
        ],
    },
    "CLOUDTRAIL_MULTI_REGION": {
        "FAIL": [
            {"Trails": []},
            {"Trails": [_trail(IsMultiRegionTrail=False)]},
            # Multi-region but stopped.
            {"Trails": [_trail(IsLogging=False)]},
            # Multi-region and logging, but only write (or no) management events.
            {"Trails": [_trail(LogsAllManagementEvents=False)]},
            # Each trail has one half of the requirement; neither has both.
            {
                "Trails": [
                    _trail(IsLogging=False),
                    _trail(IsMultiRegionTrail=False),
                ]
            },
            # An unreadable status does not rescue a trail whose selectors are known to be wrong.
            {"Trails": [_trail(IsLogging=None, LogsAllManagementEvents=False)]},
        ],
        "PASS": [
            {"Trails": [_trail()]},
            # One good trail decides it, whatever the others are or whether they could be read.
            {
                "Trails": [
                    _trail(IsMultiRegionTrail=False, IsLogging=False),
                    _trail(IsLogging=None, LogsAllManagementEvents=None),
                    _trail(IsOrganizationTrail=True, LogFileValidationEnabled=False),
                ]
            },
        ],
        "NOT_EVALUATED": [
            {"Trails": [_trail(IsLogging=None)]},
            {"Trails": [_trail(LogsAllManagementEvents=None)]},
            {"Trails": [_trail(IsLogging=False), _trail(IsLogging=None)]},
        ],
    },
    "CLOUDTRAIL_LOG_VALIDATION": {
        "FAIL": [
            _trail_resource(LogFileValidationEnabled=False),
            {
                key: value
                for key, value in _trail_resource().items()
                if key != "LogFileValidationEnabled"
            },
        ],
        "PASS": [
            _trail_resource(),
            # Validation is a trail setting: it is judged even when the status call failed.
            Example(
                _trail_resource(KmsKeyId=None, Status=None),
                missing={"Status": "denied: GetTrailStatus"},
            ),
        ],
    },
    "CLOUDTRAIL_KMS": {
        "FAIL": [
            {key: value for key, value in _trail_resource().items() if key != "KmsKeyId"},
            _trail_resource(KmsKeyId=""),
        ],
        "PASS": [_trail_resource(), _trail_resource(LogFileValidationEnabled=False)],
    },
    "CONFIG_RECORDER_ALL_REGIONS": {
        "FAIL": [
            _config(recorders=[], statuses=[], channels=[]),
            # No recorder at all fails even when the other calls were refused.
            Example(
                _config(recorders=[], statuses=[], channels=[]),
                missing={"RecorderStatus": "denied", "DeliveryChannels": "denied"},
            ),
            _config(statuses=[{"name": "default", "recording": False, "lastStatus": "Success"}]),
            _config(statuses=[{"name": "default", "recording": True, "lastStatus": "Failure"}]),
            _config(channels=[]),
            # Recording, but only some resource types.
            _config(
                recorders=[
                    {
                        "name": "default",
                        "roleARN": "arn:aws:iam::123456789012:role/config",
                        "recordingGroup": {
                            "allSupported": False,
                            "resourceTypes": ["AWS::EC2::Instance"],
                        },
                    }
                ]
            ),
            # The status belongs to another recorder.
            _config(statuses=[{"name": "other", "recording": True, "lastStatus": "Success"}]),
        ],
        "PASS": [
            _config(),
            _config(statuses=[{"name": "default", "recording": True, "lastStatus": "Pending"}]),
        ],
        "NOT_EVALUATED": [
            Example(_config(statuses=[]), missing={"RecorderStatus": "denied"}),
            Example(_config(channels=[]), missing={"DeliveryChannels": "denied"}),
        ],
    },
    "GUARDDUTY_ENABLED": {
        "FAIL": [
            {"Detectors": []},
            {"Detectors": [{"DetectorId": "case", "Status": "DISABLED"}]},
        ],
        "PASS": [
            {"Detectors": [{"DetectorId": "case", "Status": "ENABLED"}]},
            # One enabled detector decides it even if another's status could not be read.
            Example(
                {
                    "Detectors": [
                        {"DetectorId": "case", "Status": "ENABLED"},
                        {"DetectorId": "other"},
                    ]
                },
                missing={"Detectors": "denied: guardduty:GetDetector"},
            ),
        ],
        "NOT_EVALUATED": [
            Example(
                {"Detectors": [{"DetectorId": "case"}]},
                missing={"Detectors": "denied: guardduty:GetDetector"},
            )
        ],
    },
    "ORGANIZATIONS_ALL_FEATURES": {
        "FAIL": [{"InOrganization": True, "FeatureSet": "CONSOLIDATED_BILLING"}],
        "PASS": [{"InOrganization": True, "FeatureSet": "ALL"}],
    },
    "SECURITYHUB_ENABLED": {
        "FAIL": [
            {"Enabled": False},
            {"Enabled": True, "StandardsSubscriptions": []},
            {"Enabled": True, "StandardsSubscriptions": [{"StandardsStatus": "FAILED"}]},
        ],
        "PASS": [
            {
                "Enabled": True,
                "StandardsSubscriptions": [
                    {"StandardsStatus": "INCOMPLETE"},
                    {"StandardsStatus": "READY"},
                ],
            }
        ],
        "NOT_EVALUATED": [
            Example({"Enabled": True}, missing={"StandardsSubscriptions": "API unavailable"})
        ],
    },
    "S3_BUCKET_PUBLIC_READ": {
        "FAIL": [
            _open_bucket(Policy=_policy(_statement("s3:GetObject"))),
            _open_bucket(Policy=_policy(_statement("s3:*", principal={"AWS": ["*"]}))),
            # A condition on a key S3 does not count as restricting leaves it public.
            _open_bucket(
                Policy=_policy(
                    _statement("s3:Get*", condition={"StringLike": {"aws:Referer": "https://x/*"}})
                )
            ),
            _open_bucket(Policy=_policy(_statement("s3:GetObject", principal={"AWS": "*"}))),
            # S3's own verdict says public, whatever the local reading.
            _open_bucket(
                Policy=_policy(_statement("s3:GetObject")), PolicyStatus={"IsPublic": True}
            ),
            _open_bucket(AclGrants=[OWNER_GRANT, _group_grant(ALL_USERS, "READ")]),
            _open_bucket(AclGrants=[_group_grant(AUTHENTICATED_USERS, "FULL_CONTROL")]),
            # Bucket settings block ACLs but not policies; the account blocks nothing.
            _bucket(
                Policy=_policy(_statement("s3:ListBucket")),
                PublicAccessBlockConfiguration={**BPA_OFF, "IgnorePublicAcls": True},
            ),
        ],
        "PASS": [
            _bucket(),
            # RestrictPublicBuckets (bucket or account) neutralizes a public policy.
            _bucket(Policy=_policy(_statement("s3:GetObject"))),
            _open_bucket(
                Policy=_policy(_statement("s3:GetObject")),
                AccountPublicAccessBlock={**BPA_OFF, "RestrictPublicBuckets": True},
            ),
            # Pinned to a VPC endpoint, a source account, or narrow addresses.
            _open_bucket(
                Policy=_policy(
                    _statement(
                        "s3:GetObject", condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}
                    )
                )
            ),
            _open_bucket(
                Policy=_policy(
                    _statement(
                        "s3:GetObject", condition={"IpAddress": {"aws:SourceIp": ["192.0.2.0/24"]}}
                    )
                )
            ),
            _open_bucket(
                Policy=_policy(
                    _statement("s3:GetObject", principal={"AWS": "arn:aws:iam::123456789012:root"})
                )
            ),
            # S3's verdict wins over the local reading.
            _open_bucket(
                Policy=_policy(_statement("s3:GetObject")), PolicyStatus={"IsPublic": False}
            ),
            # Write-only grants do not make it publicly readable.
            _open_bucket(Policy=_policy(_statement("s3:PutObject"))),
            # ACLs disabled or ignored: the grant has no effect.
            _bucket(AclGrants=[_group_grant(ALL_USERS, "READ")]),
            _open_bucket(
                AclGrants=[_group_grant(ALL_USERS, "READ")],
                AccountPublicAccessBlock={**BPA_OFF, "IgnorePublicAcls": True},
            ),
            _open_bucket(Policy=_policy(_statement("s3:GetObject", effect="Deny"))),
        ],
        "NOT_EVALUATED": [
            Example(_open_bucket(Policy=None), missing={"Policy": "denied: s3:GetBucketPolicy"}),
            Example(
                _bucket(Policy=_policy(_statement("s3:GetObject")), AccountPublicAccessBlock=None),
                missing={
                    "PublicAccessBlockConfiguration": "denied: s3:GetBucketPublicAccessBlock",
                    "AccountPublicAccessBlock": "denied: s3:GetAccountPublicAccessBlock",
                },
            ),
        ],
    },
    "S3_BUCKET_PUBLIC_WRITE": {
        "FAIL": [
            _open_bucket(Policy=_policy(_statement(["s3:PutObject", "s3:PutObjectAcl"]))),
            _open_bucket(Policy=_policy(_statement("*"))),
            _open_bucket(
                Policy=_policy({**_statement("s3:GetObject"), "NotAction": "s3:GetObject"})
            ),
            _open_bucket(AclGrants=[_group_grant(ALL_USERS, "WRITE")]),
            _open_bucket(AclGrants=[_group_grant(AUTHENTICATED_USERS, "WRITE_ACP")]),
        ],
        "PASS": [
            _bucket(),
            _open_bucket(Policy=_policy(_statement("s3:GetObject"))),
            _open_bucket(AclGrants=[_group_grant(ALL_USERS, "READ")]),
            _open_bucket(
                Policy=_policy(
                    _statement(
                        "s3:PutObject",
                        condition={"StringEquals": {"aws:SourceAccount": "123456789012"}},
                    )
                )
            ),
        ],
        "NOT_EVALUATED": [
            Example(_open_bucket(AclGrants=None), missing={"AclGrants": "denied: s3:GetBucketAcl"}),
        ],
    },
    "S3_ACLS_ENABLED": {
        "FAIL": [
            _bucket(ObjectOwnership=None),
            _bucket(ObjectOwnership="ObjectWriter"),
            _bucket(
                ObjectOwnership="BucketOwnerPreferred",
                AclGrants=[OWNER_GRANT, _group_grant(ALL_USERS, "READ")],
            ),
        ],
        "PASS": [_bucket()],
        "NOT_EVALUATED": [
            Example(
                _bucket(ObjectOwnership=None),
                missing={"ObjectOwnership": "denied: s3:GetBucketOwnershipControls"},
            )
        ],
    },
    "CLOUDTRAIL_BUCKET_PUBLIC": {
        "FAIL": [
            _trail_resource(
                TrailBucket=_trail_bucket(
                    PolicyStatus=None,
                    Policy=_policy(_statement("s3:GetObject")),
                    PublicAccessBlockConfiguration=None,
                )
            ),
            _trail_resource(
                TrailBucket=_trail_bucket(
                    ObjectOwnership="ObjectWriter",
                    PublicAccessBlockConfiguration=None,
                    AclGrants=[_group_grant(ALL_USERS, "WRITE")],
                )
            ),
        ],
        "PASS": [
            _trail_resource(),
            _trail_resource(
                TrailBucket=_trail_bucket(
                    ObjectOwnership="ObjectWriter", AclGrants=[_group_grant(ALL_USERS, "READ")]
                )
            ),
        ],
        "NOT_EVALUATED": [
            # In another account (an organization's log archive): not listed as the account's.
            _trail_resource(TrailBucket=None),
            Example(
                _trail_resource(TrailBucket=None),
                missing={"TrailBucket": "missing permission (AccessDenied): s3:ListAllMyBuckets"},
            ),
            Example(
                _trail_resource(
                    TrailBucket=_trail_bucket(
                        Policy=None, PolicyStatus=None, PublicAccessBlockConfiguration=None
                    )
                ),
                missing={"TrailBucket.Policy": "denied: s3:GetBucketPolicy"},
            ),
        ],
    },
    "CLOUDTRAIL_BUCKET_ACCESS_LOGGING": {
        "FAIL": [_trail_resource(TrailBucket=_trail_bucket(LoggingEnabled=False))],
        "PASS": [_trail_resource()],
        "NOT_EVALUATED": [
            _trail_resource(TrailBucket=None),
            Example(
                _trail_resource(TrailBucket=_trail_bucket(LoggingEnabled=False)),
                missing={"TrailBucket.LoggingEnabled": "denied: s3:GetBucketLogging"},
            ),
        ],
    },
    "CLOUDTRAIL_CLOUDWATCH_LOGS": {
        "FAIL": [
            _trail_resource(CloudWatchLogsLogGroupArn=None),
            # Configured, but nothing delivered for days, or the last delivery failed.
            _trail_resource(
                Status={"IsLogging": True, "LatestCloudWatchLogsDeliveryTime": LONG_AGO}
            ),
            _trail_resource(
                Status={"IsLogging": True, "LatestCloudWatchLogsDeliveryError": "AccessDenied"}
            ),
        ],
        "PASS": [
            _trail_resource(),
            # Nothing delivered yet and no error: a trail configured moments ago.
            _trail_resource(Status={"IsLogging": True}),
        ],
        "NOT_EVALUATED": [
            Example(_trail_resource(Status=None), missing={"Status": "denied: GetTrailStatus"})
        ],
    },
    "CLOUDTRAIL_S3_DATA_EVENTS_WRITE": {
        "FAIL": [
            {"Trails": []},
            {"Trails": [_trail(S3DataEvents={"read": True, "write": False})]},
            # Single-region, or not logging.
            {"Trails": [_trail(IsMultiRegionTrail=False)]},
            {"Trails": [_trail(IsLogging=False)]},
        ],
        "PASS": [
            {"Trails": [_trail()]},
            {
                "Trails": [
                    _trail(S3DataEvents=None),
                    _trail(S3DataEvents={"read": False, "write": True}),
                ]
            },
        ],
        "NOT_EVALUATED": [
            {"Trails": [_trail(S3DataEvents=None)]},
            {"Trails": [_trail(IsLogging=None)]},
        ],
    },
    "CLOUDTRAIL_S3_DATA_EVENTS_READ": {
        "FAIL": [{"Trails": [_trail(S3DataEvents={"read": False, "write": True})]}],
        "PASS": [{"Trails": [_trail(S3DataEvents={"read": True, "write": False})]}],
        "NOT_EVALUATED": [{"Trails": [_trail(S3DataEvents=None)]}],
    },
}
