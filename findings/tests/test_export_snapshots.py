"""Exports of finished scans: rendered once per state, served with an ETag, renewed when a mute
or the advice changes, and never kept for a running scan."""

import gzip
import stat
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from advice.models import ScanAdvice
from advice.shape import shape_key
from findings import export_snapshots
from findings.api.services import api_token_create
from findings.exports import EXPORTERS
from findings.selectors import finding_list
from securescope.models import AuditEvent
from testing.factories import (
    create_advice,
    create_finding,
    create_member,
    create_mute,
    create_scan,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scan():
    scan = create_scan(finished_at=timezone.now())
    for index in range(3):
        create_finding(scan, resource_hash=f"{index:064x}")
    return scan


@pytest.fixture
def viewer(client):
    user = create_member(username="vera", group="viewer")
    client.force_login(user)
    return user


def download(client, scan, export_format="json", **headers):
    response = client.get(
        reverse("findings:export", args=[scan.id, export_format]), headers=headers
    )
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def rendered_now(scan, export_format="json") -> bytes:
    return "".join(EXPORTERS[export_format](scan, finding_list(scan=scan))).encode()


def snapshot_files(scan):
    folder = export_snapshots.snapshots_dir() / str(scan.id)
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("export_format", sorted(EXPORTERS))
def test_a_finished_scan_is_rendered_once_and_served_byte_identical(
    client, viewer, scan, export_format
):
    first, first_body = download(client, scan, export_format)
    [snapshot] = snapshot_files(scan)
    second, second_body = download(client, scan, export_format)
    assert first.status_code == second.status_code == 200
    assert first_body == second_body == rendered_now(scan, export_format)
    assert first["ETag"] == second["ETag"] == f'"{snapshot.name.split(".")[0]}"'
    assert int(second["Content-Length"]) == len(second_body)
    assert second["Content-Disposition"].startswith("attachment")
    assert snapshot_files(scan) == [snapshot]


def test_a_client_holding_the_snapshot_gets_304_and_no_download_is_audited(client, viewer, scan):
    first, _ = download(client, scan)
    downloads = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT_DOWNLOADED)
    assert downloads.count() == 1
    again, body = download(client, scan, **{"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert body == b""
    assert again["ETag"] == first["ETag"]
    assert downloads.count() == 1
    stale, _ = download(client, scan, **{"If-None-Match": '"0000"'})
    assert stale.status_code == 200


def test_a_mute_renews_the_export(client, viewer, scan):
    before, before_body = download(client, scan)
    finding = scan.findings.first()
    mute = create_mute(
        account_hash=scan.account_hash,
        account_label=scan.account_label,
        rule_id=finding.rule_id,
        owner=viewer,
        fingerprint=finding.fingerprint,
    )
    muted, muted_body = download(client, scan, **{"If-None-Match": before["ETag"]})
    assert muted.status_code == 200
    assert muted["ETag"] != before["ETag"]
    assert muted_body == rendered_now(scan) != before_body
    # Muted findings are left out of an export unless it asks for them.
    assert finding.resource_hash.encode() in before_body
    assert finding.resource_hash.encode() not in muted_body
    # An expired mute covers nothing: the export is the unmuted one again.
    mute.expires_at = timezone.now() - timedelta(seconds=1)
    mute.save()
    expired, expired_body = download(client, scan)
    assert expired["ETag"] == before["ETag"]
    assert expired_body == before_body


def test_new_advice_renews_the_export(client, viewer, scan):
    before, _ = download(client, scan)
    finding = scan.findings.first()
    advice = create_advice(
        finding.rule_id,
        shape_key=shape_key(finding.rule_id, finding.evidence),
        markdown="### Why it matters\n\nThe model's own words.\n",
        sections={"rationale": "The model's own words."},
    )
    ScanAdvice.objects.create(
        scan=scan, rule_id=finding.rule_id, shape_key=advice.shape_key, advice=advice
    )
    after, after_body = download(client, scan)
    assert after["ETag"] != before["ETag"]
    assert b"The model's own words." in after_body
    assert after_body == rendered_now(scan)


def test_filters_are_snapshots_of_their_own(client, viewer, scan):
    everything, _ = download(client, scan)
    url = reverse("findings:export", args=[scan.id, "csv"])
    high = client.get(url, {"severity": "high"})
    low = client.get(url, {"severity": "low"})
    assert len({everything["ETag"], high["ETag"], low["ETag"]}) == 3
    assert b"".join(low.streaming_content).count(b"\n") == 1  # the header row only


def test_a_running_scan_is_streamed_and_not_kept(client, viewer):
    running = create_scan(status="running")
    create_finding(running)
    response, body = download(client, running)
    assert response.status_code == 200
    assert not response.has_header("ETag")
    assert body == rendered_now(running)
    assert snapshot_files(running) == []


def test_snapshots_are_private_files(client, viewer, scan):
    download(client, scan)
    [snapshot] = snapshot_files(scan)
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600
    assert stat.S_IMODE(snapshot.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(export_snapshots.snapshots_dir().stat().st_mode) == 0o700


def test_deleting_a_scan_or_migrating_drops_its_snapshots(client, viewer, scan):
    other = create_scan(finished_at=timezone.now())
    create_finding(other)
    download(client, scan)
    download(client, other)
    scan.delete()
    assert snapshot_files(scan) == []
    assert len(snapshot_files(other)) == 1
    call_command("migrate", verbosity=0)
    assert not export_snapshots.snapshots_dir().exists()


def test_the_oldest_filter_snapshots_go_past_the_cap(client, viewer, scan, monkeypatch):
    monkeypatch.setattr(export_snapshots, "SNAPSHOTS_PER_SCAN", 2)
    url = reverse("findings:export", args=[scan.id, "json"])
    for severity in ("critical", "high", "medium"):
        client.get(url, {"severity": severity})
    assert len(snapshot_files(scan)) == 2


def test_the_api_serves_the_same_snapshot(client, viewer, scan):
    page, page_body = download(client, scan)
    _, secret = api_token_create(
        user=viewer, name="ci", expires_at=timezone.now() + timedelta(days=1)
    )
    response = client.get(
        f"/api/v1/scans/{scan.id}/export",
        {"format": "json"},
        secure=True,
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200
    assert response["ETag"] == page["ETag"]
    assert b"".join(response.streaming_content) == page_body
    again = client.get(
        f"/api/v1/scans/{scan.id}/export",
        {"format": "json"},
        secure=True,
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_IF_NONE_MATCH=page["ETag"],
    )
    assert again.status_code == 304


@pytest.mark.parametrize("export_format", sorted(EXPORTERS))
def test_a_client_that_accepts_gzip_gets_the_snapshot_compressed(
    client, viewer, scan, export_format
):
    plain, plain_body = download(client, scan, export_format)
    packed, packed_body = download(client, scan, export_format, **{"Accept-Encoding": "br, gzip"})
    assert packed.status_code == 200
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed_body) == plain_body == rendered_now(scan, export_format)
    assert int(packed["Content-Length"]) == len(packed_body)
    assert "Accept-Encoding" in packed["Vary"]
    assert "Accept-Encoding" in plain["Vary"]
    assert packed["ETag"] != plain["ETag"]
    _again, again_body = download(client, scan, export_format, **{"Accept-Encoding": "gzip"})
    assert again_body == packed_body, "the same state compresses to the same bytes"
    cached, _ = download(
        client, scan, export_format, **{"Accept-Encoding": "gzip", "If-None-Match": packed["ETag"]}
    )
    assert cached.status_code == 304
    assert cached["ETag"] == packed["ETag"]


@pytest.mark.parametrize(
    ("header", "compressed"),
    [
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("*", True),
        ("GZIP", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0, identity", False),
        ("identity", False),
        ("", False),
        ("gzipped", False),
    ],
)
def test_gzip_is_served_only_where_the_client_accepts_it(client, viewer, scan, header, compressed):
    response, body = download(client, scan, **{"Accept-Encoding": header})
    assert (response.get("Content-Encoding") == "gzip") is compressed
    assert (gzip.decompress(body) if compressed else body) == rendered_now(scan)


def test_a_state_and_its_compressed_copy_count_once_against_the_cap(
    client, viewer, scan, monkeypatch
):
    monkeypatch.setattr(export_snapshots, "SNAPSHOTS_PER_SCAN", 2)
    url = reverse("findings:export", args=[scan.id, "json"])
    for severity in ("critical", "high", "medium"):
        client.get(url, {"severity": severity}, headers={"Accept-Encoding": "gzip"})
        client.get(url, {"severity": severity})
    files = snapshot_files(scan)
    assert len(files) == 4
    assert len({path.name.split(".")[0] for path in files}) == 2
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files)


def test_a_snapshot_is_handed_to_the_server_in_large_blocks(client, viewer, scan):
    response, _ = download(client, scan)
    assert response.block_size == export_snapshots.SERVE_BLOCK_BYTES >= 64 * 1024
