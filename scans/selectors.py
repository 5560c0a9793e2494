from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from scans.inventory import GLOBAL_REGION
from scans.models import Scan, ScanRegion


def scan_list() -> QuerySet[Scan]:
    return Scan.objects.select_related("created_by").order_by("-created_at")


def scan_get(*, scan_id: object) -> Scan:
    return get_object_or_404(Scan.objects.select_related("created_by"), id=scan_id)


def scan_region_list(*, scan_id: object) -> QuerySet[ScanRegion]:
    """The account-wide unit first, then the regions by name."""
    return (
        ScanRegion.objects.filter(scan_id=scan_id)
        .annotate(
            is_not_global=Case(
                When(region=GLOBAL_REGION, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("is_not_global", "region")
    )
