"""Where instances come from: EC2 launch templates, Auto Scaling launch configurations and the
Auto Scaling groups that use them.

A launch template is one resource with its default and latest versions (`Versions`: each with
`VersionNumber`, `DefaultVersion`, `Latest` and `LaunchTemplateData`), read in one paginated
DescribeLaunchTemplateVersions call for the whole region, and `AccountImdsDefaults`: the region's
IMDS defaults, which apply where a version leaves the metadata options unset (None, with the
reason in `Resource.missing`, when they could not be read).
"""

from typing import Any

from scans.collection import ec2_calls
from scans.collection.collectors import register
from scans.collection.context import CollectContext, CollectionError
from securescope.resources import Resource

# DescribeLaunchTemplateVersions takes at most 200 per page; Auto Scaling at most 100.
VERSION_PAGE_SIZE = 200
AUTOSCALING_PAGE_SIZE = 100


@register(
    "ec2.launch_templates",
    service="ec2",
    scope="region",
    resource_types={
        "AWS::EC2::LaunchTemplate": "`arn:aws:ec2:REGION:ACCOUNT:launch-template/lt-...`",
    },
    permissions=("ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceMetadataDefaults"),
)
def collect_launch_templates(ctx: CollectContext) -> list[Resource]:
    versions = ctx.paginate(
        "ec2",
        "describe_launch_template_versions",
        "LaunchTemplateVersions",
        Versions=["$Default", "$Latest"],
        PaginationConfig={"PageSize": VERSION_PAGE_SIZE},
    )
    if not versions:
        return []
    templates: dict[str, list[dict[str, Any]]] = {}
    for version in versions:
        templates.setdefault(version["LaunchTemplateId"], []).append(version)
    missing: dict[str, str] = {}
    try:
        defaults: dict[str, Any] | None = ec2_calls.instance_metadata_defaults(ctx)
    except CollectionError as error:
        defaults = None
        missing["AccountImdsDefaults"] = error.summary
    resources = []
    for template_id, found in templates.items():
        latest = max(version["VersionNumber"] for version in found)
        # $Default and $Latest are the same version when nobody moved the default.
        unique = {version["VersionNumber"]: version for version in found}
        data = {
            "LaunchTemplateId": template_id,
            "LaunchTemplateName": found[0].get("LaunchTemplateName"),
            "Versions": [
                {
                    "VersionNumber": number,
                    "DefaultVersion": bool(version.get("DefaultVersion")),
                    "Latest": number == latest,
                    # UserData is never needed here and may hold secrets: it is not kept.
                    "LaunchTemplateData": {
                        key: value
                        for key, value in (version.get("LaunchTemplateData") or {}).items()
                        if key != "UserData"
                    },
                }
                for number, version in sorted(unique.items())
            ],
            "AccountImdsDefaults": defaults,
        }
        resources.append(
            ctx.resource(
                "AWS::EC2::LaunchTemplate",
                ctx.arn("ec2", f"launch-template/{template_id}"),
                data,
                missing=missing,
            )
        )
    return resources


@register(
    "autoscaling.launch_configurations",
    service="autoscaling",
    scope="region",
    resource_types={
        "AWS::AutoScaling::LaunchConfiguration": "the LaunchConfigurationARN",
    },
    permissions=("autoscaling:DescribeLaunchConfigurations",),
)
def collect_launch_configurations(ctx: CollectContext) -> list[Resource]:
    return [
        ctx.resource(
            "AWS::AutoScaling::LaunchConfiguration",
            configuration["LaunchConfigurationARN"],
            # UserData is never needed and may hold secrets: it is not kept.
            {key: value for key, value in configuration.items() if key != "UserData"},
        )
        for configuration in ctx.paginate(
            "autoscaling",
            "describe_launch_configurations",
            "LaunchConfigurations",
            PaginationConfig={"PageSize": AUTOSCALING_PAGE_SIZE},
        )
    ]


@register(
    "autoscaling.groups",
    service="autoscaling",
    scope="region",
    resource_types={
        "AWS::AutoScaling::AutoScalingGroup": "the AutoScalingGroupARN",
    },
    permissions=("autoscaling:DescribeAutoScalingGroups",),
)
def collect_auto_scaling_groups(ctx: CollectContext) -> list[Resource]:
    return [
        ctx.resource("AWS::AutoScaling::AutoScalingGroup", group["AutoScalingGroupARN"], group)
        for group in ctx.paginate(
            "autoscaling",
            "describe_auto_scaling_groups",
            "AutoScalingGroups",
            PaginationConfig={"PageSize": AUTOSCALING_PAGE_SIZE},
        )
    ]
