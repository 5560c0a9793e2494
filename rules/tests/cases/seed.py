"""Cases for the first rules: SSH, IMDSv2, EBS encryption, EKS endpoint and logging, root MFA."""


def _ingress(protocol="tcp", from_port=22, to_port=22, v4=(), v6=()) -> dict:
    return {
        "IpProtocol": protocol,
        "FromPort": from_port,
        "ToPort": to_port,
        "IpRanges": [{"CidrIp": cidr} for cidr in v4],
        "Ipv6Ranges": [{"CidrIpv6": cidr} for cidr in v6],
    }


def _group(*permissions: dict) -> dict:
    return {"IpPermissions": list(permissions)}


ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

CASES = {
    "EC2_SG_SSH_OPEN": {
        "FAIL": [
            _group(_ingress(v4=["0.0.0.0/0"])),
            _group(_ingress(v6=["::/0"])),
            _group(_ingress(from_port=0, to_port=1024, v4=["0.0.0.0/0"])),
            _group(_ingress(protocol="-1", from_port=None, to_port=None, v4=["0.0.0.0/0"])),
        ],
        "PASS": [
            _group(_ingress(v4=["10.0.0.0/8"])),
            _group(_ingress(from_port=443, to_port=443, v4=["0.0.0.0/0"])),
            _group(_ingress(protocol="icmp", from_port=-1, to_port=-1, v4=["0.0.0.0/0"])),
            _group(),
        ],
    },
    "EC2_IMDSV2_REQUIRED": {
        "FAIL": [
            {"MetadataOptions": {"HttpTokens": "optional", "HttpEndpoint": "enabled"}},
            {"MetadataOptions": {}},
        ],
        "PASS": [
            {"MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"}},
            {"MetadataOptions": {"HttpTokens": "optional", "HttpEndpoint": "disabled"}},
        ],
    },
    "EC2_EBS_ENCRYPTION": {
        "FAIL": [{"Encrypted": False, "Attachments": [], "VolumeType": "gp3"}],
        "PASS": [{"Encrypted": True, "Attachments": [{"State": "attached"}], "VolumeType": "gp3"}],
    },
    "EC2_EBS_DEFAULT_ENCRYPTION": {
        "FAIL": [{"EbsEncryptionByDefault": False, "SseType": None}],
        "PASS": [{"EbsEncryptionByDefault": True, "SseType": "sse-ebs"}],
    },
    "EKS_PUBLIC_ENDPOINT_NO_CIDR": {
        "FAIL": [
            {
                "resourcesVpcConfig": {
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["0.0.0.0/0"],
                }
            },
            {
                "resourcesVpcConfig": {
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["198.51.100.0/24", "::/0"],
                }
            },
            # The API's default when publicAccessCidrs is absent is the whole internet.
            {"resourcesVpcConfig": {"endpointPublicAccess": True}},
        ],
        "PASS": [
            {
                "resourcesVpcConfig": {
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["198.51.100.0/24"],
                }
            },
            {"resourcesVpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True}},
        ],
    },
    "EKS_CONTROL_PLANE_LOGGING": {
        "FAIL": [
            {"logging": {"clusterLogging": [{"types": ALL_LOG_TYPES, "enabled": False}]}},
            # EKS lists enabled and disabled groups: the enabled set is their union.
            {
                "logging": {
                    "clusterLogging": [
                        {"types": ["api", "audit"], "enabled": False},
                        {
                            "types": ["authenticator", "controllerManager", "scheduler"],
                            "enabled": True,
                        },
                    ]
                }
            },
            {"logging": {"clusterLogging": []}},
        ],
        "PASS": [
            {
                "logging": {
                    "clusterLogging": [
                        {"types": ["scheduler"], "enabled": False},
                        {"types": ALL_LOG_TYPES, "enabled": True},
                    ]
                }
            }
        ],
    },
    "IAM_ROOT_MFA": {
        "FAIL": [{"SummaryMap": {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0}}],
        "PASS": [{"SummaryMap": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}}],
    },
}
