"""Cases for launch templates, launch configurations and Auto Scaling groups."""

from rules.tests.cases import Example

REQUIRED = {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1}


def _version(number: int, *, default: bool, latest: bool, **data) -> dict:
    return {
        "VersionNumber": number,
        "DefaultVersion": default,
        "Latest": latest,
        "LaunchTemplateData": {"ImageId": "ami-0123456789abcdef0", **data},
    }


def _template(*versions, defaults=None) -> dict:
    """A launch template whose one version is both default and latest, hardened."""
    return {
        "LaunchTemplateId": "lt-0123456789abcdef0",
        "LaunchTemplateName": "case-template",
        "Versions": list(versions)
        or [_version(1, default=True, latest=True, MetadataOptions=dict(REQUIRED))],
        "AccountImdsDefaults": {} if defaults is None else defaults,
    }


def _one(**data) -> dict:
    return _template(_version(1, default=True, latest=True, **data))


def _configuration(**fields) -> dict:
    data = {
        "LaunchConfigurationName": "case-configuration",
        "LaunchConfigurationARN": (
            "arn:aws:autoscaling:eu-west-1:123456789012:launchConfiguration:case"
        ),
        "ImageId": "ami-0123456789abcdef0",
        "InstanceType": "t3.micro",
        "BlockDeviceMappings": [],
        "MetadataOptions": dict(REQUIRED),
    }
    data.update(fields)
    return data


DEFAULTS_UNREAD = {"AccountImdsDefaults": "API unavailable: ec2:GetInstanceMetadataDefaults"}


def _unread(data: dict) -> Example:
    return Example({**data, "AccountImdsDefaults": None}, missing=DEFAULTS_UNREAD)


CASES = {
    "EC2_LT_IMDSV2": {
        "FAIL": [
            _one(MetadataOptions={"HttpTokens": "optional"}),
            # Unset, and the region's default does not require tokens either.
            _one(),
            _template(
                _version(1, default=True, latest=False, MetadataOptions=dict(REQUIRED)),
                _version(2, default=False, latest=True, MetadataOptions={"HttpTokens": "optional"}),
            ),
            # An explicit optional wins over a default that requires tokens.
            _template(
                _version(1, default=True, latest=True, MetadataOptions={"HttpTokens": "optional"}),
                defaults={"HttpTokens": "required"},
            ),
        ],
        "PASS": [
            _template(),
            _template(_version(1, default=True, latest=True), defaults={"HttpTokens": "required"}),
            _one(MetadataOptions={"HttpEndpoint": "disabled"}),
            # An explicit setting needs no account default.
            _unread(_one(MetadataOptions=dict(REQUIRED))),
        ],
        "NOT_EVALUATED": [_unread(_one())],
    },
    "EC2_LT_HOP_LIMIT": {
        "FAIL": [
            _one(MetadataOptions={**REQUIRED, "HttpPutResponseHopLimit": 2}),
            _template(
                _version(1, default=True, latest=True), defaults={"HttpPutResponseHopLimit": 3}
            ),
        ],
        "PASS": [
            _template(),
            # Unset everywhere: EC2's default of 1; -1 in the account default means unset.
            _one(),
            _template(
                _version(1, default=True, latest=True), defaults={"HttpPutResponseHopLimit": -1}
            ),
        ],
        "NOT_EVALUATED": [_unread(_one())],
    },
    "EC2_LT_PUBLIC_IP": {
        "FAIL": [
            _one(NetworkInterfaces=[{"DeviceIndex": 0, "AssociatePublicIpAddress": True}]),
        ],
        "PASS": [
            _template(),
            _one(NetworkInterfaces=[{"DeviceIndex": 0, "AssociatePublicIpAddress": False}]),
            # Public-IP rules do not need the IMDS defaults.
            _unread(_one(NetworkInterfaces=[{"DeviceIndex": 0}])),
        ],
    },
    "EC2_LT_EBS_UNENCRYPTED": {
        "FAIL": [
            _one(BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": False}}]),
        ],
        "PASS": [
            _template(),
            _one(BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True}}]),
            _one(BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20}}]),
        ],
    },
    "EC2_ASG_LC_IMDSV2": {
        "FAIL": [
            _configuration(MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"}),
            # Not set in the configuration fails, as AutoScaling.3 does.
            _configuration(MetadataOptions=None),
        ],
        "PASS": [
            _configuration(),
            _configuration(MetadataOptions={"HttpEndpoint": "disabled"}),
        ],
    },
    "EC2_ASG_LC_HOP_LIMIT": {
        "FAIL": [_configuration(MetadataOptions={**REQUIRED, "HttpPutResponseHopLimit": 2})],
        "PASS": [_configuration(), _configuration(MetadataOptions={"HttpTokens": "required"})],
    },
    "EC2_ASG_LC_PUBLIC_IP": {
        "FAIL": [_configuration(AssociatePublicIpAddress=True)],
        "PASS": [_configuration(), _configuration(AssociatePublicIpAddress=False)],
    },
    "EC2_ASG_LAUNCH_CONFIGURATION": {
        "FAIL": [
            {
                "AutoScalingGroupName": "case-group",
                "LaunchConfigurationName": "case-configuration",
            }
        ],
        "PASS": [
            {
                "AutoScalingGroupName": "case-group",
                "LaunchTemplate": {
                    "LaunchTemplateId": "lt-0123456789abcdef0",
                    "Version": "$Default",
                },
            },
            {
                "AutoScalingGroupName": "case-group",
                "MixedInstancesPolicy": {
                    "LaunchTemplate": {
                        "LaunchTemplateSpecification": {"LaunchTemplateId": "lt-0123456789abcdef0"}
                    }
                },
            },
        ],
    },
}
