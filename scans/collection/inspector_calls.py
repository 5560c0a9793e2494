"""Amazon Inspector calls two collectors make alike (inspector2.account_status and
ec2.instances), so the unit's call memo answers the second from the first."""

from typing import Any

from scans.collection.context import CollectContext


def account_resource_state(ctx: CollectContext) -> dict[str, Any]:
    """This account's Inspector state in the region: `resourceState` by scan kind (ec2, ecr,
    lambda...) with each `status` (ENABLED, DISABLED, ...). Raises Denied or Unavailable."""
    response = ctx.call(
        "inspector2", "batch_get_account_status", accountIds=[ctx.account.account_id]
    )
    for account in response.get("accounts", []):
        if account.get("accountId") == ctx.account.account_id:
            return account.get("resourceState") or {}
    return {}


# ListFindingAggregations takes at most 100 per page, ListCoverage 200.
AGGREGATION_PAGE_SIZE = 100
COVERAGE_PAGE_SIZE = 200


def ec2_instance_findings(ctx: CollectContext) -> tuple[dict[str, dict[str, int]], set[str]]:
    """Active findings' counts by severity per instance id (one aggregation listing for the
    region), and the instance ids Inspector actively scans. Raises Denied or Unavailable."""
    aggregations = ctx.paginate(
        "inspector2",
        "list_finding_aggregations",
        "responses",
        aggregationType="AWS_EC2_INSTANCE",
        PaginationConfig={"PageSize": AGGREGATION_PAGE_SIZE},
    )
    counts = {
        item["ec2InstanceAggregation"]["instanceId"]: item["ec2InstanceAggregation"].get(
            "severityCounts", {}
        )
        for item in aggregations
        if item.get("ec2InstanceAggregation", {}).get("instanceId")
    }
    covered = ctx.paginate(
        "inspector2",
        "list_coverage",
        "coveredResources",
        filterCriteria={"resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}]},
        PaginationConfig={"PageSize": COVERAGE_PAGE_SIZE},
    )
    active = {
        resource["resourceId"]
        for resource in covered
        if resource.get("scanStatus", {}).get("statusCode") == "ACTIVE"
    }
    return counts, active
