"""Exports of finished scans, rendered once per state, served from files under DATA_DIR.

A finished scan's export changes only when something it is rendered from changes: the filters
asked for, the account's active mutes, the scan's advice, the rule catalog (titles and curated
remediation), or the code that renders it. The first four make up the snapshot's key, which is
also its ETag; the code's part is dropped with every snapshot when `migrate` runs, as each
deploy does (`findings.apps`). A request for a state already rendered streams the file, so
fifty people downloading the nightly report cost one rendering.

Only pseudonymous exports are kept: a revealed export (names and ARNs) is never written down.
Files are created 0600 in a 0700 folder; the retention purge deletes them with their scan.
"""

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponseNotModified,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils.http import parse_etags

from advice.models import ScanAdvice
from findings.exports import CONTENT_TYPES, EXPORTERS, FILE_EXTENSIONS
from findings.selectors import active_mutes, finding_list
from rules.loading import catalog_digest
from scans.models import Scan

# Filter combinations kept per scan; the oldest beyond it are deleted when one is written.
SNAPSHOTS_PER_SCAN = 24


def snapshots_dir() -> Path:
    return Path(settings.EXPORT_SNAPSHOTS_DIR)


def _scan_dir(scan_id: object) -> Path:
    return snapshots_dir() / str(scan_id)


def is_snapshotted(scan: Scan) -> bool:
    """Running scans change under their exports; only a finished one is kept."""
    return scan.is_finished


def snapshot_key(*, scan: Scan, export_format: str, filters: dict[str, Any]) -> str:
    """A digest of everything a finished scan's export is rendered from, code aside."""
    mutes = sorted(
        active_mutes(account_hash=scan.account_hash).values_list("rule_id", "fingerprint")
    )
    advice = sorted(
        ScanAdvice.objects.filter(scan=scan, advice__isnull=False).values_list(
            "rule_id", "shape_key", "advice_id", "advice__source", "advice__generated_at"
        )
    )
    state = {
        "scan": [str(scan.id), scan.status, scan.finished_at],
        "format": export_format,
        "filters": filters,
        "mutes": mutes,
        "advice": advice,
        "catalog": catalog_digest(),
    }
    encoded = json.dumps(state, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    path: Path
    key: str

    @property
    def etag(self) -> str:
        return f'"{self.key}"'

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def _prune(scan_dir: Path, keep: Path) -> None:
    older = sorted(
        (path for path in scan_dir.iterdir() if path != keep and not path.name.startswith(".")),
        key=lambda path: path.stat().st_mtime,
    )
    for path in older[: max(0, len(older) + 1 - SNAPSHOTS_PER_SCAN)]:
        path.unlink(missing_ok=True)


def snapshot_get_or_render(
    *, scan: Scan, key: str, extension: str, render: Callable[[], Iterable[str]]
) -> Snapshot:
    """The snapshot for `key`, rendered by `render` into a file first when there is none.

    Two requests that miss at once both render; each writes its own temporary file and the
    second rename replaces the first with the same bytes.
    """
    scan_dir = _scan_dir(scan.id)
    path = scan_dir / f"{key}.{extension}"
    if path.exists():
        return Snapshot(path, key)
    _private_dir(snapshots_dir())
    _private_dir(scan_dir)
    descriptor, temporary = tempfile.mkstemp(dir=scan_dir, prefix=".rendering-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
            for chunk in render():
                file.write(chunk)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _prune(scan_dir, keep=path)
    return Snapshot(path, key)


def snapshots_delete(*, scan_ids: Iterable[object]) -> None:
    for scan_id in scan_ids:
        shutil.rmtree(_scan_dir(scan_id), ignore_errors=True)


def snapshots_delete_all() -> None:
    shutil.rmtree(snapshots_dir(), ignore_errors=True)


def export_response(
    request: HttpRequest, *, scan: Scan, export_format: str, filters: dict[str, Any]
) -> HttpResponseBase:
    """A scan's export as a download: streamed while the scan runs, from its snapshot once it
    has finished, and 304 Not Modified when the client already holds that snapshot."""
    extension = FILE_EXTENSIONS.get(export_format, export_format)
    content_type = CONTENT_TYPES[export_format]
    filename = f"securescope-{scan.id}.{extension}"

    def render() -> Iterable[str]:
        return EXPORTERS[export_format](scan, finding_list(scan=scan, **filters))

    if not is_snapshotted(scan):
        response: HttpResponseBase = StreamingHttpResponse(
            (chunk.encode() for chunk in render()), content_type=content_type
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    key = snapshot_key(scan=scan, export_format=export_format, filters=filters)
    etag = f'"{key}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        snapshot = snapshot_get_or_render(scan=scan, key=key, extension=extension, render=render)
        response = FileResponse(
            snapshot.path.open("rb"),
            content_type=content_type,
            as_attachment=True,
            filename=filename,
        )
    response["ETag"] = etag
    return response
