import pytest

from advice.models import Advice, ScanAdvice
from advice.services import advice_unreferenced_delete
from testing.factories import create_advice, create_scan

pytestmark = pytest.mark.django_db


def test_advice_of_purged_scans_goes_and_advice_in_use_stays():
    kept, orphaned = create_advice("EC2_SG_SSH_OPEN"), create_advice("EC2_IMDSV2_REQUIRED")
    old, recent = create_scan(), create_scan()
    for scan, advice in ((old, orphaned), (recent, kept), (old, kept)):
        ScanAdvice.objects.create(
            scan=scan, rule_id=advice.rule_id, shape_key=advice.shape_key, advice=advice
        )
    old.delete()
    assert advice_unreferenced_delete() == 1
    assert list(Advice.objects.all()) == [kept]
