"""Account basics: S3, CloudTrail, AWS Config, GuardDuty and Security Hub settings."""

from typing import Any

from rules.evaluators import Result, evaluator, missing_data
from rules.params import FLAG, one_of
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
def organization_all_features(resource: Resource, *, params: dict) -> Result:
    """FAIL outside an organization, or in one with consolidated billing only (no SCPs)."""
    if not resource.data.get("InOrganization"):
        return Result("FAIL", {"in_organization": False})
    feature_set = resource.data.get("FeatureSet")
    evidence = {"in_organization": True, "feature_set": feature_set}
    return Result("PASS" if feature_set == "ALL" else "FAIL", evidence)
