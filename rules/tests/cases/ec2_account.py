"""Cases for a region's account-level EC2 settings, in the shapes of the Get calls."""

CASES = {
    "EC2_ACCOUNT_IMDS_DEFAULTS": {
        "FAIL": [
            # Never set: GetInstanceMetadataDefaults answers an empty AccountLevel.
            {"AccountLevel": {}},
            {"AccountLevel": {"HttpTokens": "optional", "HttpPutResponseHopLimit": 2}},
            {"AccountLevel": {"HttpTokens": "no-preference"}},
        ],
        "PASS": [
            {
                "AccountLevel": {
                    "HttpTokens": "required",
                    "HttpPutResponseHopLimit": 2,
                    "HttpTokensEnforced": "enabled",
                    "ManagedBy": "declarative-policy",
                }
            }
        ],
    },
    "EC2_SNAPSHOT_BPA": {
        "FAIL": [
            {"State": "unblocked", "ManagedBy": "account"},
            # New sharing is blocked but snapshots already public stay reachable.
            {"State": "block-new-sharing", "ManagedBy": "account"},
        ],
        "PASS": [{"State": "block-all-sharing", "ManagedBy": "account"}],
    },
    "EC2_AMI_BPA": {
        "FAIL": [{"ImageBlockPublicAccessState": "unblocked", "ManagedBy": "account"}],
        "PASS": [
            {"ImageBlockPublicAccessState": "block-new-sharing", "ManagedBy": "declarative-policy"}
        ],
    },
    "EC2_SERIAL_CONSOLE_ACCESS": {
        "FAIL": [{"SerialConsoleAccessEnabled": True, "ManagedBy": "account"}],
        "PASS": [{"SerialConsoleAccessEnabled": False, "ManagedBy": "account"}],
    },
}
