"""Cases for account basics: S3, CloudTrail, Config, GuardDuty, Security Hub and
Organizations."""

from rules.tests.cases import Example

LONG_AGO = "2001-01-01T00:00:00+00:00"


BPA_ALL_ON = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}

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
        "DeniesInsecureTransport": False,
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
    }
    summary.update(fields)
    return summary


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
        "Status": {"IsLogging": True},
        "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}],
        "AdvancedEventSelectors": [],
        "LogsAllManagementEvents": True,
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
        "FAIL": [
            {"InOrganization": False},
            {"InOrganization": True, "FeatureSet": "CONSOLIDATED_BILLING"},
        ],
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
}
