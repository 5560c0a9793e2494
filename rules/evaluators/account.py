"""Account basics: S3, CloudTrail, AWS Config, GuardDuty and Security Hub settings."""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from rules.evaluators import Result, evaluator, missing_data
from rules.params import FLAG, integer, one_of
from rules.public_access import ACCESS_KINDS, bucket_exposure
from securescope.resources import Resource

BLOCK_PUBLIC_ACCESS_FLAGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)
FLAG_EVIDENCE_KEYS = {
    "BlockPublicAcls": "block_public_acls",
    "IgnorePublicAcls": "ignore_public_acls",
    "BlockPublicPolicy": "block_public_policy",
    "RestrictPublicBuckets": "restrict_public_buckets",
}


@evaluator("s3_default_encryption")
def s3_default_encryption(resource: Resource, *, params: dict) -> Result:
    """FAIL when the bucket has no default-encryption rule.

    Since January 2023 AWS applies SSE-S3 to every bucket, so an absent configuration means it
    was removed or the API answers differently; a refused read is not evaluated, never a FAIL.
    """
    if unknown := missing_data(resource, "Encryption"):
        return unknown
    configuration = resource.data.get("ServerSideEncryptionConfiguration") or {}
    algorithms = sorted(
        {
            rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
            for rule in configuration.get("Rules") or []
            if (rule.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm")
        }
    )
    evidence = {
        "default_encryption_configured": bool(algorithms),
        "sse_algorithms": algorithms,
        "bucket_key_enabled": any(
            rule.get("BucketKeyEnabled") for rule in configuration.get("Rules") or []
        ),
    }
    return Result("PASS" if algorithms else "FAIL", evidence)


@evaluator("s3_block_public_access")
def s3_block_public_access(resource: Resource, *, params: dict) -> Result:
    """FAIL unless all four Block Public Access flags are on (bucket or account level)."""
    if unknown := missing_data(resource, "PublicAccessBlockConfiguration"):
        return unknown
    configuration = resource.data.get("PublicAccessBlockConfiguration") or {}
    flags = {
        FLAG_EVIDENCE_KEYS[flag]: configuration.get(flag) is True
        for flag in BLOCK_PUBLIC_ACCESS_FLAGS
    }
    evidence = {
        # The account-level resource says explicitly whether a configuration exists.
        "configured": bool(resource.data.get("Configured", bool(configuration))),
        **flags,
        "flags_off": sorted(key for key, on in flags.items() if not on),
    }
    return Result("PASS" if all(flags.values()) else "FAIL", evidence)


@evaluator("s3_denies_insecure_transport")
def s3_denies_insecure_transport(resource: Resource, *, params: dict) -> Result:
    if unknown := missing_data(resource, "Policy"):
        return unknown
    denies = resource.data.get("DeniesInsecureTransport") is True
    evidence = {
        "bucket_policy_present": bool(resource.data.get("Policy")),
        "denies_insecure_transport": denies,
    }
    return Result("PASS" if denies else "FAIL", evidence)


@evaluator(
    "s3_versioning_setting",
    params={"field": one_of(("Status", "MFADelete"))},
    required=("field",),
)
def s3_versioning_setting(resource: Resource, *, params: dict) -> Result:
    """FAIL unless the versioning field (`Status` or `MFADelete`) is `Enabled`.

    A bucket that never had versioning has no Status at all; Suspended fails as well, because new
    object versions are no longer kept.
    """
    if unknown := missing_data(resource, "Versioning"):
        return unknown
    versioning = resource.data.get("Versioning") or {}
    evidence = {
        "versioning_status": versioning.get("Status") or "Disabled",
        "mfa_delete": versioning.get("MFADelete") or "Disabled",
    }
    return Result("PASS" if versioning.get(params["field"]) == "Enabled" else "FAIL", evidence)


@evaluator("cloudtrail_multi_region_logging")
def cloudtrail_multi_region_logging(resource: Resource, *, params: dict) -> Result:
    """PASS when one multi-region trail is logging all read and write management events.

    Trails whose status or event selectors could not be read count as unknown: they make the
    answer NOT_EVALUATED only when no other trail already decides it.
    """
    trails = resource.data.get("Trails") or []
    multi_region = [trail for trail in trails if trail.get("IsMultiRegionTrail")]
    logging = [trail for trail in multi_region if trail.get("IsLogging") is True]
    qualifying = [trail for trail in logging if trail.get("LogsAllManagementEvents") is True]
    undecided = [
        trail
        for trail in multi_region
        if trail.get("IsLogging") is not False
        and trail.get("LogsAllManagementEvents") is not False
        and None in (trail.get("IsLogging"), trail.get("LogsAllManagementEvents"))
    ]
    evidence = {
        "trail_count": len(trails),
        "multi_region_trail_count": len(multi_region),
        "multi_region_logging_count": len(logging),
        "multi_region_logging_all_management_events_count": len(qualifying),
        "undecided_trail_count": len(undecided),
    }
    if qualifying:
        return Result("PASS", evidence)
    if undecided:
        return Result(
            "NOT_EVALUATED",
            {**evidence, "reason": "trail status or event selectors could not be read"},
        )
    return Result("FAIL", evidence)


@evaluator(
    "cloudtrail_trail_setting",
    params={"field": one_of(("LogFileValidationEnabled", "KmsKeyId"))},
    required=("field",),
)
def cloudtrail_trail_setting(resource: Resource, *, params: dict) -> Result:
    """FAIL when the trail's field is unset: `LogFileValidationEnabled` or `KmsKeyId`."""
    data = resource.data
    evidence = {
        "log_file_validation_enabled": bool(data.get("LogFileValidationEnabled")),
        # Only whether a key is set: the key id itself identifies the account.
        "kms_encrypted": bool(data.get("KmsKeyId")),
        "multi_region": bool(data.get("IsMultiRegionTrail")),
        "organization_trail": bool(data.get("IsOrganizationTrail")),
    }
    return Result("PASS" if data.get(params["field"]) else "FAIL", evidence)


def _recorder_records(
    recorder: dict[str, Any], statuses: dict[str, dict[str, Any]], require_all_supported: bool
) -> bool:
    status = statuses.get(recorder.get("name"), {})
    group = recorder.get("recordingGroup") or {}
    return (
        status.get("recording") is True
        and status.get("lastStatus") != "Failure"
        and (not require_all_supported or group.get("allSupported") is True)
    )


@evaluator(
    "config_recorder_recording",
    params={"require_all_supported": FLAG},
    required=("require_all_supported",),
)
def config_recorder_recording(resource: Resource, *, params: dict) -> Result:
    """PASS when a recorder is recording (without a failed last delivery) and a channel exists."""
    recorders = resource.data.get("ConfigurationRecorders") or []
    require_all_supported = params["require_all_supported"]
    if not recorders:
        return Result("FAIL", {"recorder_count": 0, "recording": False})
    if unknown := missing_data(resource, "RecorderStatus", "DeliveryChannels"):
        return unknown
    statuses = {status.get("name"): status for status in resource.data.get("RecorderStatus") or []}
    recording = [
        recorder
        for recorder in recorders
        if _recorder_records(recorder, statuses, require_all_supported)
    ]
    channels = resource.data.get("DeliveryChannels") or []
    evidence = {
        "recorder_count": len(recorders),
        "recording": bool(recording),
        "all_supported": any(
            (recorder.get("recordingGroup") or {}).get("allSupported") is True
            for recorder in recorders
        ),
        "last_status": sorted({str(status.get("lastStatus")) for status in statuses.values()}),
        "delivery_channel_count": len(channels),
    }
    return Result("PASS" if recording and channels else "FAIL", evidence)


@evaluator("guardduty_detector_enabled")
def guardduty_detector_enabled(resource: Resource, *, params: dict) -> Result:
    detectors = resource.data.get("Detectors") or []
    enabled = [detector for detector in detectors if detector.get("Status") == "ENABLED"]
    evidence = {"detector_count": len(detectors), "enabled_detector_count": len(enabled)}
    if enabled:
        return Result("PASS", evidence)
    # A detector whose status could not be read may be the enabled one.
    if unknown := missing_data(resource, "Detectors"):
        return unknown
    return Result("FAIL", evidence)


@evaluator("securityhub_enabled_with_standard")
def securityhub_enabled_with_standard(resource: Resource, *, params: dict) -> Result:
    """FAIL when the hub is off, or on with no standard in READY state."""
    if not resource.data.get("Enabled"):
        return Result("FAIL", {"hub_enabled": False})
    if unknown := missing_data(resource, "StandardsSubscriptions"):
        return unknown
    subscriptions = resource.data.get("StandardsSubscriptions") or []
    ready = [item for item in subscriptions if item.get("StandardsStatus") == "READY"]
    evidence = {
        "hub_enabled": True,
        "standards_count": len(subscriptions),
        "ready_standards_count": len(ready),
    }
    return Result("PASS" if ready else "FAIL", evidence)


@evaluator("organization_all_features")
def organization_all_features(resource: Resource, *, params: dict) -> Result | None:
    """FAIL in an organization with consolidated billing only (no SCPs). A standalone account
    is not judged: it has no organization whose features could be enabled, and running one is
    a choice, not a misconfiguration."""
    if not resource.data.get("InOrganization"):
        return None
    feature_set = resource.data.get("FeatureSet")
    evidence = {"in_organization": True, "feature_set": feature_set}
    return Result("PASS" if feature_set == "ALL" else "FAIL", evidence)


def _public_result(exposure: dict[str, Any], kinds: tuple[str, ...]) -> Result:
    public = [exposure[f"public_{kind}"] for kind in kinds]
    evidence = {key: value for key, value in exposure.items() if key != "unknown_reasons"}
    if True in public:
        return Result("FAIL", evidence)
    if None in public:
        return Result(
            "NOT_EVALUATED", {**evidence, "reason": "; ".join(exposure["unknown_reasons"])}
        )
    return Result("PASS", evidence)


@evaluator(
    "s3_bucket_public",
    params={"access": one_of(ACCESS_KINDS)},
    required=("access",),
)
def s3_bucket_public(resource: Resource, *, params: dict) -> Result:
    """FAIL when anyone may read (or write) the bucket through its policy or its ACL, once the
    bucket's and the account's Block Public Access settings and object ownership are applied.

    S3's own verdict on the policy (GetBucketPolicyStatus) wins when it was read; otherwise the
    policy is judged by S3's published meaning of "public". Data that could change the verdict
    and could not be read leaves the rule not evaluated.
    """
    return _public_result(bucket_exposure(resource.data, resource.missing), (params["access"],))


@evaluator("s3_acls_disabled")
def s3_acls_disabled(resource: Resource, *, params: dict) -> Result:
    """FAIL unless object ownership is BucketOwnerEnforced, which turns ACLs off."""
    if unknown := missing_data(resource, "ObjectOwnership", "AclGrants"):
        return unknown
    ownership = resource.data.get("ObjectOwnership")
    grants = resource.data.get("AclGrants") or []
    evidence = {
        "object_ownership": ownership or "not set (ObjectWriter)",
        "acl_grant_count": len(grants),
        "non_owner_grant_count": sum(
            1 for grant in grants if (grant.get("Grantee") or {}).get("Type") != "CanonicalUser"
        ),
    }
    return Result("PASS" if ownership == "BucketOwnerEnforced" else "FAIL", evidence)


def _trail_bucket(resource: Resource) -> tuple[dict[str, Any] | None, Result | None]:
    """The trail's log bucket data, or the NOT_EVALUATED result that says why it is unknown."""
    if unknown := missing_data(resource, "TrailBucket"):
        return None, unknown
    bucket = resource.data.get("TrailBucket")
    if bucket is None:
        reason = (
            "the trail's log bucket is not in this account"
            if resource.data.get("S3BucketName")
            else "the trail names no log bucket"
        )
        return None, Result("NOT_EVALUATED", {"reason": reason})
    return bucket, None


def _trail_bucket_missing(resource: Resource) -> Mapping[str, str]:
    prefix = "TrailBucket."
    return {
        field.removeprefix(prefix): reason
        for field, reason in resource.missing.items()
        if field.startswith(prefix)
    }


@evaluator("cloudtrail_bucket_public")
def cloudtrail_bucket_public(resource: Resource, *, params: dict) -> Result:
    """FAIL when the trail's log bucket is public for reading or writing (same test as the S3
    rules); not evaluated when the bucket belongs to another account."""
    bucket, unknown = _trail_bucket(resource)
    if bucket is None:
        return unknown
    exposure = bucket_exposure(bucket, _trail_bucket_missing(resource))
    return _public_result(exposure, ACCESS_KINDS)


@evaluator("cloudtrail_bucket_access_logging")
def cloudtrail_bucket_access_logging(resource: Resource, *, params: dict) -> Result:
    bucket, unknown = _trail_bucket(resource)
    if bucket is None:
        return unknown
    if reason := _trail_bucket_missing(resource).get("LoggingEnabled"):
        return Result("NOT_EVALUATED", {"reason": reason})
    logging = bucket.get("LoggingEnabled") is True
    return Result("PASS" if logging else "FAIL", {"server_access_logging": logging})


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


@evaluator(
    "cloudtrail_cloudwatch_logs",
    params={"max_delivery_age_hours": integer(minimum=1)},
    required=("max_delivery_age_hours",),
)
def cloudtrail_cloudwatch_logs(resource: Resource, *, params: dict) -> Result:
    """FAIL when the trail sends no events to CloudWatch Logs, when its last delivery failed,
    or when the last one is older than `max_delivery_age_hours`."""
    configured = bool(resource.data.get("CloudWatchLogsLogGroupArn"))
    evidence: dict[str, Any] = {"cloudwatch_logs_configured": configured}
    if not configured:
        return Result("FAIL", evidence)
    if unknown := missing_data(resource, "Status"):
        return unknown
    status = resource.data.get("Status") or {}
    delivered = _timestamp(status.get("LatestCloudWatchLogsDeliveryTime"))
    limit = timedelta(hours=params["max_delivery_age_hours"])
    stale = delivered is not None and timezone.now() - delivered > limit
    failed = bool(status.get("LatestCloudWatchLogsDeliveryError"))
    evidence.update(
        last_delivery_reported=delivered is not None,
        last_delivery_stale=stale,
        max_delivery_age_hours=params["max_delivery_age_hours"],
        delivery_error=failed,
    )
    return Result("FAIL" if stale or failed else "PASS", evidence)


@evaluator(
    "cloudtrail_s3_data_events",
    params={"access": one_of(ACCESS_KINDS)},
    required=("access",),
)
def cloudtrail_s3_data_events(resource: Resource, *, params: dict) -> Result:
    """PASS when a multi-region trail that is logging records S3 object-level reads (or
    writes) of every bucket; trails whose selectors could not be read leave it undecided."""
    access = params["access"]
    trails = [
        trail
        for trail in resource.data.get("Trails") or []
        if trail.get("IsMultiRegionTrail") and trail.get("IsLogging") is not False
    ]
    covering = [
        trail
        for trail in trails
        if trail.get("IsLogging") is True and (trail.get("S3DataEvents") or {}).get(access)
    ]
    undecided = [
        trail
        for trail in trails
        if trail.get("IsLogging") is None or trail.get("S3DataEvents") is None
    ]
    evidence = {
        "access": access,
        "multi_region_trail_count": len(trails),
        "trails_logging_s3_object_events": len(covering),
    }
    if covering:
        return Result("PASS", evidence)
    if undecided:
        return Result(
            "NOT_EVALUATED",
            {**evidence, "reason": "trail status or event selectors could not be read"},
        )
    return Result("FAIL", evidence)
