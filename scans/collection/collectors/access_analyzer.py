"""IAM Access Analyzer: the region's external-access analyzers and their status.

Unused-access analyzers (types ending in _UNUSED_ACCESS) do not look for external access, so
only ACCOUNT and ORGANIZATION analyzers are kept.

ARN form: `arn:PARTITION:access-analyzer:REGION:ACCOUNT:analyzers` (the region's analyzers).
"""

from scans.collection.collectors import register
from scans.collection.context import CollectContext
from securescope.resources import Resource

EXTERNAL_ACCESS_TYPES = ("ACCOUNT", "ORGANIZATION")


@register(
    "accessanalyzer.analyzers",
    service="accessanalyzer",
    scope="region",
    resource_types={
        "AWS::AccessAnalyzer::RegionalSetup": "`arn:aws:access-analyzer:REGION:ACCOUNT:analyzers`",
    },
    permissions=("access-analyzer:ListAnalyzers",),
)
def collect_analyzers(ctx: CollectContext) -> list[Resource]:
    analyzers = [
        {"type": analyzer["type"], "status": analyzer.get("status")}
        for analyzer_type in EXTERNAL_ACCESS_TYPES
        for analyzer in ctx.paginate(
            "accessanalyzer", "list_analyzers", "analyzers", type=analyzer_type
        )
    ]
    return [
        ctx.resource(
            "AWS::AccessAnalyzer::RegionalSetup",
            ctx.arn("access-analyzer", "analyzers"),
            {"Analyzers": analyzers},
        )
    ]
