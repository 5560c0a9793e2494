"""GuardDuty: the region's detectors with their status and protection plans, as one setting.

A region with no detector yields the setting with an empty list, which is what GuardDuty rules
fail on; only a refused ListDetectors leaves them not evaluated.
"""

from scans.collection.collectors import register
from scans.collection.context import CollectContext, CollectionError
from securescope.resources import Resource

PAGE_SIZE = 50


@register(
    "guardduty.detectors",
    service="guardduty",
    scope="region",
    resource_types={
        "AWS::GuardDuty::RegionalSetup": "`arn:aws:guardduty:REGION:ACCOUNT:detectors`",
    },
    permissions=("guardduty:ListDetectors", "guardduty:GetDetector"),
)
def collect_detectors(ctx: CollectContext) -> list[Resource]:
    detector_ids = ctx.paginate(
        "guardduty", "list_detectors", "DetectorIds", PaginationConfig={"PageSize": PAGE_SIZE}
    )
    detectors = []
    missing: dict[str, str] = {}
    for detector_id in detector_ids:
        try:
            response = ctx.call("guardduty", "get_detector", DetectorId=detector_id)
        except CollectionError as error:
            # The detector exists but its status is unknown: say so for the whole setting.
            missing["Detectors"] = error.summary
            detectors.append({"DetectorId": detector_id})
            continue
        fields = {key: value for key, value in response.items() if key != "ResponseMetadata"}
        detectors.append({"DetectorId": detector_id, **fields})
    return [
        ctx.resource(
            "AWS::GuardDuty::RegionalSetup",
            ctx.arn("guardduty", "detectors"),
            {"Detectors": detectors},
            missing=missing,
        )
    ]
