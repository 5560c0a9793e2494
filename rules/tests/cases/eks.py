"""Cases for the EKS cluster, node-group and add-on rules.

The version rules judge against a support calendar and today's date; their cases carry a calendar
built relative to today (PARAMS), so they never age. The catalog's own calendar is checked for
shape in rules/tests/test_eks_calendar.py.
"""

from datetime import timedelta

from django.utils import timezone

from rules.tests.cases import Example


def _day(offset: int) -> str:
    return (timezone.now().date() + timedelta(days=offset)).isoformat()


def _support(standard: int, extended: int) -> dict:
    return {"end_of_standard_support": _day(standard), "end_of_extended_support": _day(extended)}


CALENDAR = {
    "checked": _day(0),
    "versions": {
        "1.28": _support(-400, -35),  # past extended support
        "1.30": _support(-30, 330),  # in (paid) extended support
        "1.32": _support(45, 410),  # standard support ends soon
        "1.33": _support(200, 565),  # comfortably supported
    },
}
ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/AB"
UNAVAILABLE_POD_IDENTITY = "API unavailable: eks:ListPodIdentityAssociations"
ALL_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _runtime(status: str, standard: int, extended: int) -> dict:
    """A DescribeClusterVersions entry as the cluster collector keeps it."""
    return {
        "versionStatus": status,
        "endOfStandardSupportDate": _day(standard),
        "endOfExtendedSupportDate": _day(extended),
    }


def _nodegroup(**fields) -> dict:
    return {
        "nodegroupName": "workers",
        "version": "1.33",
        "clusterVersion": "1.33",
        "amiType": "AL2023_x86_64_STANDARD",
        **fields,
    }


def _addon(**fields) -> dict:
    return {
        "addonName": "vpc-cni",
        "addonVersion": "v1.19.0-eksbuild.1",
        "clusterVersion": "1.32",
        "DefaultVersion": "v1.19.0-eksbuild.1",
        **fields,
    }


CASES = {
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
    "EKS_ADDON_OUTDATED": {
        "FAIL": [
            _addon(addonVersion="v1.18.6-eksbuild.1"),
            # The same release with an older EKS build is still behind.
            _addon(DefaultVersion="v1.19.0-eksbuild.2"),
            # Numbers compare as numbers: 1.9 is older than 1.10.
            _addon(addonVersion="v1.9.3-eksbuild.1", DefaultVersion="v1.10.1-eksbuild.1"),
        ],
        "PASS": [_addon(), _addon(addonVersion="v1.20.0-eksbuild.1")],
        "NOT_EVALUATED": [
            Example(
                _addon(), missing={"DefaultVersion": "API unavailable: eks:DescribeAddonVersions"}
            ),
            _addon(DefaultVersion=None),
        ],
    },
    "EKS_ENDPOINT_PUBLIC_ENABLED": {
        "FAIL": [
            {
                "resourcesVpcConfig": {
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["0.0.0.0/0"],
                }
            },
            # Restricting the CIDRs still leaves the endpoint public.
            {
                "resourcesVpcConfig": {
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["198.51.100.0/24"],
                }
            },
            # moto stores the config as passed; the API's default is a public endpoint.
            {"resourcesVpcConfig": {"subnetIds": ["subnet-1"]}},
        ],
        "PASS": [
            {"resourcesVpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True}}
        ],
    },
    "EKS_ENDPOINT_PRIVATE_DISABLED": {
        "FAIL": [
            {"resourcesVpcConfig": {"endpointPublicAccess": True, "endpointPrivateAccess": False}},
            # The API's default is no private endpoint.
            {"resourcesVpcConfig": {"subnetIds": ["subnet-1"]}},
        ],
        "PASS": [
            {"resourcesVpcConfig": {"endpointPublicAccess": True, "endpointPrivateAccess": True}}
        ],
    },
    "EKS_AUDIT_LOG_DISABLED": {
        "FAIL": [
            {"logging": {"clusterLogging": [{"types": ALL_LOG_TYPES, "enabled": False}]}},
            # Audit is listed, but in the disabled group.
            {
                "logging": {
                    "clusterLogging": [
                        {"types": ["api", "authenticator"], "enabled": True},
                        {"types": ["audit"], "enabled": False},
                    ]
                }
            },
            {},
        ],
        "PASS": [
            # The enabled group need not come first, nor hold every type.
            {
                "logging": {
                    "clusterLogging": [
                        {"types": ["api", "scheduler"], "enabled": False},
                        {"types": ["audit"], "enabled": True},
                    ]
                }
            }
        ],
    },
    "EKS_SECRETS_NOT_ENCRYPTED": {
        "FAIL": [
            {"encryptionConfig": []},
            {},
            # A config without a key is not envelope encryption.
            {"encryptionConfig": [{"resources": ["secrets"], "provider": {}}]},
            {"encryptionConfig": [{"resources": ["configmaps"], "provider": {"keyArn": KEY_ARN}}]},
        ],
        "PASS": [
            {"encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": KEY_ARN}}]}
        ],
    },
    "EKS_VERSION_DRIFT_CLUSTER": {
        "PARAMS": CALENDAR,
        "FAIL": [
            # Listed, and past its extended support.
            {"version": "1.28"},
            # Older than anything listed: long unsupported.
            {"version": "1.19"},
            # DescribeClusterVersions answered: it wins over the calendar.
            {"version": "1.33", "VersionSupport": _runtime("UNSUPPORTED", -400, -30)},
            # Its dates are past, whatever status it last reported.
            {"version": "1.33", "VersionSupport": _runtime("EXTENDED_SUPPORT", -400, -1)},
        ],
        "PASS": [
            {"version": "1.32"},
            {"version": "1.33"},
            # In (paid) extended support: EKS_VERSION_EXTENDED_SUPPORT reports that.
            {"version": "1.30"},
            # Newer than the calendar, but EKS lists it.
            {"version": "1.99", "VersionSupport": _runtime("STANDARD_SUPPORT", 300, 700)},
            # Not listed by EKS: the calendar decides.
            {"version": "1.33", "VersionSupport": None},
        ],
        "NOT_EVALUATED": [
            # Newer than the calendar knows: unknown, not assumed supported.
            {"version": "1.99"},
            {"version": "2.0"},
            {"name": "no-version"},
            Example(
                {"version": "1.99"},
                missing={"VersionSupport": "API unavailable: eks:DescribeClusterVersions"},
            ),
        ],
    },
    "EKS_VERSION_EXTENDED_SUPPORT": {
        "PARAMS": CALENDAR,
        "FAIL": [
            {"version": "1.30"},
            {"version": "1.33", "VersionSupport": _runtime("EXTENDED_SUPPORT", -20, 340)},
        ],
        "PASS": [
            {"version": "1.32"},
            {"version": "1.30", "VersionSupport": _runtime("STANDARD_SUPPORT", 20, 380)},
        ],
        "NOT_EVALUATED": [{"version": "1.99"}],
    },
    "EKS_VERSION_EOS_SOON": {
        "PARAMS": {**CALENDAR, "days": 90},
        "FAIL": [{"version": "1.32"}],
        "PASS": [{"version": "1.33"}],
        "NOT_EVALUATED": [{"version": "1.99"}],
    },
    "EKS_NODEGROUP_VERSION_SKEW": {
        "FAIL": [
            _nodegroup(version="1.30", clusterVersion="1.33"),
            # Nodes newer than the control plane break the upstream skew policy.
            _nodegroup(version="1.34", clusterVersion="1.33"),
            # Minor versions compare as numbers, not text: 1.9 is far behind 1.11.
            _nodegroup(version="1.9", clusterVersion="1.11"),
        ],
        "PASS": [
            _nodegroup(),
            _nodegroup(version="1.32", clusterVersion="1.33"),
            _nodegroup(version="1.10", clusterVersion="1.11"),
        ],
        "NOT_EVALUATED": [
            Example(
                _nodegroup(clusterVersion=None),
                missing={
                    "clusterVersion": "missing permission (AccessDeniedException): "
                    "eks:DescribeCluster"
                },
            ),
            _nodegroup(version=None),
        ],
    },
    "EKS_NODEGROUP_AL2_AMI": {
        "FAIL": [
            _nodegroup(amiType="AL2_x86_64"),
            _nodegroup(amiType="AL2_ARM_64"),
            _nodegroup(amiType="AL2_x86_64_GPU"),
        ],
        "PASS": [
            # AL2023 starts with "AL2" too, but is the supported successor.
            _nodegroup(amiType="AL2023_x86_64_STANDARD"),
            _nodegroup(amiType="BOTTLEROCKET_ARM_64"),
        ],
        "NOT_EVALUATED": [_nodegroup(amiType="CUSTOM")],
    },
    "EKS_NODEGROUP_SSH_OPEN": {
        "FAIL": [
            _nodegroup(remoteAccess={"ec2SshKey": "ops-key"}),
            _nodegroup(remoteAccess={"ec2SshKey": "ops-key", "sourceSecurityGroups": []}),
            _nodegroup(amiType="WINDOWS_CORE_2022_x86_64", remoteAccess={"ec2SshKey": "ops-key"}),
        ],
        "PASS": [
            _nodegroup(),
            _nodegroup(
                remoteAccess={
                    "ec2SshKey": "ops-key",
                    "sourceSecurityGroups": ["sg-0123456789abcdef0"],
                }
            ),
        ],
    },
    "EKS_NODEGROUP_REMOTE_ACCESS": {
        "FAIL": [
            _nodegroup(remoteAccess={"ec2SshKey": "ops-key"}),
            # Restricted sources still leave a shared SSH key on every node.
            _nodegroup(
                remoteAccess={
                    "ec2SshKey": "ops-key",
                    "sourceSecurityGroups": ["sg-0123456789abcdef0"],
                }
            ),
        ],
        "PASS": [_nodegroup(), _nodegroup(remoteAccess={})],
    },
    "EKS_IRSA_NOT_CONFIGURED": {
        "FAIL": [
            {
                "identity": {"oidc": {"issuer": ISSUER}},
                "IamOidcProviderRegistered": False,
                "PodIdentityAssociationCount": 0,
            },
            {"IamOidcProviderRegistered": False, "PodIdentityAssociationCount": 0},
        ],
        "PASS": [
            {
                "identity": {"oidc": {"issuer": ISSUER}},
                "IamOidcProviderRegistered": True,
                "PodIdentityAssociationCount": 0,
            },
            # EKS Pod Identity instead of IRSA.
            {"IamOidcProviderRegistered": False, "PodIdentityAssociationCount": 2},
            # Either one decides it, even when the other could not be read.
            Example(
                {"IamOidcProviderRegistered": True},
                missing={"PodIdentityAssociationCount": UNAVAILABLE_POD_IDENTITY},
            ),
        ],
        "NOT_EVALUATED": [
            Example(
                {"PodIdentityAssociationCount": 0},
                missing={
                    "IamOidcProviderRegistered": "missing permission (AccessDenied): "
                    "iam:ListOpenIDConnectProviders"
                },
            ),
            # No OIDC provider, and Pod Identity unknown (moto has no such API).
            Example(
                {"IamOidcProviderRegistered": False},
                missing={"PodIdentityAssociationCount": UNAVAILABLE_POD_IDENTITY},
            ),
            # Never PASS on data the collector did not provide.
            {"identity": {"oidc": {"issuer": ISSUER}}},
        ],
    },
}
