"""Cases for running EKS safely: deletion protection, log retention, add-ons, VPC CNI network
policy and GuardDuty's EKS protection."""

from rules.tests.cases import Example

ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
LOGGING_ON = {"clusterLogging": [{"types": ALL_LOG_TYPES, "enabled": True}]}
LOGGING_OFF = {"clusterLogging": [{"types": ALL_LOG_TYPES, "enabled": False}]}
CORE = ["vpc-cni", "kube-proxy", "coredns"]


def _cluster(**fields) -> dict:
    return {"name": "case-cluster", "version": "1.33", **fields}


def _addon(**fields) -> dict:
    return {
        "addonName": "vpc-cni",
        "clusterName": "case-cluster",
        "addonVersion": "v1.19.0-eksbuild.1",
        "status": "ACTIVE",
        "health": {"issues": []},
        **fields,
    }


def _detector(*features, status="ENABLED") -> dict:
    return {"DetectorId": "case", "Status": status, "Features": list(features)}


def _feature(name: str, status: str = "ENABLED", **extra) -> dict:
    return {"Name": name, "Status": status, **extra}


EKS_AGENT = [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}]

CASES = {
    "EKS_DELETION_PROTECTION": {
        "FAIL": [_cluster(deletionProtection=False)],
        "PASS": [_cluster(deletionProtection=True)],
        # Not returned by older platform versions or moto.
        "NOT_EVALUATED": [_cluster()],
    },
    "EKS_LOG_RETENTION": {
        "FAIL": [
            _cluster(
                logging=LOGGING_ON, ControlPlaneLogGroup={"exists": True, "retentionInDays": 30}
            ),
            # Logging on, but no log group to keep anything in.
            _cluster(
                logging=LOGGING_ON, ControlPlaneLogGroup={"exists": False, "retentionInDays": None}
            ),
        ],
        "PASS": [
            _cluster(
                logging=LOGGING_ON, ControlPlaneLogGroup={"exists": True, "retentionInDays": 365}
            ),
            # Never expires: kept at least as long as required.
            _cluster(
                logging=LOGGING_ON, ControlPlaneLogGroup={"exists": True, "retentionInDays": None}
            ),
        ],
        "NOT_EVALUATED": [
            Example(
                _cluster(logging=LOGGING_ON),
                missing={"ControlPlaneLogGroup": "missing permission: logs:DescribeLogGroups"},
            )
        ],
    },
    "EKS_ADDON_DEGRADED": {
        "FAIL": [
            _addon(status="DEGRADED"),
            _addon(
                health={
                    "issues": [
                        {
                            "code": "InsufficientNumberOfReplicas",
                            "message": "case",
                            "resourceIds": ["case"],
                        }
                    ]
                }
            ),
        ],
        "PASS": [_addon(), _addon(status="UPDATING")],
    },
    "EKS_CORE_ADDONS_SELF_MANAGED": {
        "FAIL": [_cluster(AddonNames=["vpc-cni"]), _cluster(AddonNames=[])],
        "PASS": [_cluster(AddonNames=[*CORE, "aws-ebs-csi-driver"])],
        "NOT_EVALUATED": [
            Example(_cluster(), missing={"AddonNames": "API unavailable: eks:ListAddons"})
        ],
    },
    "EKS_NETWORK_POLICY_NOT_ENABLED": {
        "FAIL": [
            _addon(),
            _addon(configurationValues='{"enableNetworkPolicy": "false"}'),
            _addon(configurationValues="not: [valid"),
        ],
        "PASS": [
            _addon(configurationValues='{"enableNetworkPolicy": "true"}'),
            _addon(configurationValues="enableNetworkPolicy: 'true'\nenv:\n  WARM_IP_TARGET: '5'"),
        ],
    },
    "GUARDDUTY_EKS_AUDIT_LOGS": {
        "FAIL": [
            {"Detectors": []},
            {"Detectors": [_detector(_feature("EKS_AUDIT_LOGS", "DISABLED"))]},
            # Enabled feature on a suspended detector protects nothing.
            {"Detectors": [_detector(_feature("EKS_AUDIT_LOGS"), status="DISABLED")]},
        ],
        "PASS": [{"Detectors": [_detector(_feature("EKS_AUDIT_LOGS"))]}],
        "NOT_EVALUATED": [
            Example(
                {"Detectors": [{"DetectorId": "case"}]},
                missing={"Detectors": "missing permission: guardduty:GetDetector"},
            )
        ],
    },
    "GUARDDUTY_EKS_RUNTIME": {
        "FAIL": [
            {"Detectors": [_detector(_feature("EKS_AUDIT_LOGS"))]},
            # Runtime monitoring for EC2 or ECS only: no EKS agent.
            {"Detectors": [_detector(_feature("RUNTIME_MONITORING"))]},
        ],
        "PASS": [
            {
                "Detectors": [
                    _detector(_feature("RUNTIME_MONITORING", AdditionalConfiguration=EKS_AGENT))
                ]
            },
            {"Detectors": [_detector(_feature("EKS_RUNTIME_MONITORING"))]},
        ],
    },
}
