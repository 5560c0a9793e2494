"""The instance profiles a region's instances wear, with what their roles may do: the exposure
model's credential blast radius (rules.exposure) joins them to the instances by profile ARN."""

from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings

from scans.collection.aws import GLOBAL_API_REGION, error_code
from scans.collection.collectors import register
from scans.collection.context import CollectContext, CollectionError
from scans.collection.iam_roles import ROLE_READ_PERMISSIONS, role_power
from securescope.resources import Resource


@register(
    "iam.instance_profiles_in_use",
    service="iam",
    scope="region",
    resource_types={"AWS::IAM::InstanceProfile": "the instance profile's ARN"},
    permissions=("ec2:DescribeInstances", "iam:GetInstanceProfile", *ROLE_READ_PERMISSIONS),
)
def collect_instance_profiles(ctx: CollectContext) -> list[Resource]:
    """Each profile worn by a non-terminated instance of the region, with `Roles`: each role's
    ARN and power (iam_roles.role_power). A refused IAM call leaves `Roles` in `missing`."""
    # The listing ec2.instances makes: the unit's memo answers both.
    instances = [
        instance
        for reservation in ctx.paginate("ec2", "describe_instances", "Reservations")
        for instance in reservation["Instances"]
        if instance.get("State", {}).get("Name") != "terminated"
    ]
    profile_arns = sorted(
        {
            instance["IamInstanceProfile"]["Arn"]
            for instance in instances
            if instance.get("IamInstanceProfile", {}).get("Arn")
        }
    )
    resources = []
    for arn in ctx.capped(
        profile_arns, cap=settings.SCAN_PER_ITEM_CALL_CAP, what="instance profiles"
    ):
        data: dict[str, Any] = {"Arn": arn}
        missing: dict[str, str] = {}
        try:
            roles = _profile_roles(ctx, arn)
        except CollectionError as error:
            missing["Roles"] = error.summary
        else:
            if roles is None:
                continue  # deleted since the instance listing: nothing left to wear
            data["Roles"] = roles
        resources.append(ctx.resource("AWS::IAM::InstanceProfile", arn, data, missing=missing))
    return resources


def _profile_roles(ctx: CollectContext, profile_arn: str) -> list[dict[str, Any]] | None:
    name = profile_arn.rsplit("/", 1)[-1]
    try:
        profile = ctx.call(
            "iam",
            "get_instance_profile",
            region=GLOBAL_API_REGION,
            once_per_scan=True,
            InstanceProfileName=name,
        )["InstanceProfile"]
    except ClientError as error:
        if error_code(error) == "NoSuchEntity":
            return None
        raise
    roles = []
    for role in profile.get("Roles", []):
        power = role_power(ctx, role["Arn"])
        if power is not None:
            roles.append({"Arn": role["Arn"], **power})
    return roles
