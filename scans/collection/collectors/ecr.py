"""ECR private repositories: scan-on-push, tag mutability, repository policy, and the registry's
scanning configuration (which overrides a repository's own scan-on-push setting).

Each repository carries `RegistryScanning` (the registry's `scanningConfiguration`, one call per
region) and `Policy` (its repository policy as a dict, None when it has none); either is absent,
with the reason in `Resource.missing`, when its call was refused.
"""

import json
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings

from scans.collection.aws import error_code
from scans.collection.collectors import register
from scans.collection.context import NOT_INSPECTED, CollectContext, CollectionError
from securescope.resources import Resource

PAGE_SIZE = 1000
# No policy, or the repository went away since the listing: nothing grants access through it.
NO_POLICY_CODES = ("RepositoryPolicyNotFoundException", "RepositoryNotFoundException")


def _registry_scanning(ctx: CollectContext) -> tuple[dict[str, Any] | None, str | None]:
    try:
        response = ctx.call("ecr", "get_registry_scanning_configuration")
    except CollectionError as error:
        return None, error.summary
    return response.get("scanningConfiguration") or {}, None


def _policy(ctx: CollectContext, name: str, missing: dict[str, str]) -> dict[str, Any] | None:
    try:
        response = ctx.call("ecr", "get_repository_policy", repositoryName=name)
    except CollectionError as error:
        missing["Policy"] = error.summary
        return None
    except ClientError as error:
        if error_code(error) in NO_POLICY_CODES:
            return None
        raise
    return json.loads(response["policyText"]) if response.get("policyText") else None


@register(
    "ecr.repositories",
    service="ecr",
    scope="region",
    resource_types={"AWS::ECR::Repository": "the repositoryArn"},
    permissions=(
        "ecr:DescribeRepositories",
        "ecr:GetRegistryScanningConfiguration",
        "ecr:GetRepositoryPolicy",
    ),
)
def collect_repositories(ctx: CollectContext) -> list[Resource]:
    repositories = ctx.paginate(
        "ecr", "describe_repositories", "repositories", PaginationConfig={"PageSize": PAGE_SIZE}
    )
    if not repositories:
        return []
    scanning, scanning_refusal = _registry_scanning(ctx)
    inspected = len(
        ctx.capped(repositories, cap=settings.SCAN_PER_ITEM_CALL_CAP, what="ECR repositories")
    )
    resources = []
    for index, repository in enumerate(repositories):
        data: dict[str, Any] = dict(repository)
        missing: dict[str, str] = {}
        if scanning_refusal:
            missing["RegistryScanning"] = scanning_refusal
        else:
            data["RegistryScanning"] = scanning
        if index >= inspected:
            missing["Policy"] = NOT_INSPECTED
        else:
            data["Policy"] = _policy(ctx, repository["repositoryName"], missing)
        resources.append(
            ctx.resource("AWS::ECR::Repository", repository["repositoryArn"], data, missing=missing)
        )
    return resources
