"""Exports of finished scans, rendered once per state, served from files under DATA_DIR.

A finished scan's export changes only when something it is rendered from changes: the filters
asked for, the account's active mutes, the scan's advice, the rule catalog (titles and curated
remediation), or the code that renders it. The first four make up the snapshot's key, which is
also its ETag; the code's part is dropped with every snapshot when `migrate` runs, as each
deploy does (`findings.apps`). A request for a state already rendered streams the file, so
fifty people downloading the nightly report cost one rendering. A client that accepts gzip
(every browser, curl --compressed, python-requests) gets the snapshot compressed, once per
state: a tenth of the bytes to encrypt and send. Exports hold no secret for a compression
side channel (BREACH) to recover: no CSRF token, session or credential is ever in them.

Only pseudonymous exports are kept: a revealed export (names and ARNs) is never written down.
Files are created 0600 in a 0700 folder; the retention purge deletes them with their scan.
"""

import gzip
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
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

from advice.models import ScanAdvice
from findings.exports import CONTENT_TYPES, EXPORTERS, FILE_EXTENSIONS
from findings.selectors import active_mutes, finding_list
from rules.loading import catalog_digest
from scans.models import Scan

# Filter combinations kept per scan; the oldest beyond it are deleted when one is written.
SNAPSHOTS_PER_SCAN = 24
SERVE_BLOCK_BYTES = 256 * 1024


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


def _state(path: Path) -> str:
    """The state a snapshot file holds: its key, whatever its extension or compression."""
    return path.name.split(".", 1)[0]


def _prune(scan_dir: Path, keep: Path) -> None:
    newest: dict[str, float] = {}
    for path in scan_dir.iterdir():
        if path.name.startswith(".") or _state(path) == _state(keep):
            continue
        newest[_state(path)] = max(newest.get(_state(path), 0.0), path.stat().st_mtime)
    older = sorted(newest, key=newest.__getitem__)
    dropped = set(older[: max(0, len(older) + 1 - SNAPSHOTS_PER_SCAN)])
    for path in scan_dir.iterdir():
        if _state(path) in dropped:
            path.unlink(missing_ok=True)


def _write_privately(scan_dir: Path, path: Path, write: Callable[[int], None]) -> None:
    """`write` fills a new file descriptor; the file appears at `path` only once whole."""
    descriptor, temporary = tempfile.mkstemp(dir=scan_dir, prefix=".rendering-")
    try:
        write(descriptor)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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

    def write(descriptor: int) -> None:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
            for chunk in render():
                file.write(chunk)

    _write_privately(scan_dir, path, write)
    _prune(scan_dir, keep=path)
    return Snapshot(path, key)


def snapshot_gzipped(snapshot: Snapshot) -> Path:
    """The snapshot gzip-compressed, written beside it the first time it is asked for. No
    timestamp in the gzip header: the same state always gives the same bytes."""
    path = snapshot.path.with_name(f"{snapshot.path.name}.gz")
    if path.exists():
        return path

    def write(descriptor: int) -> None:
        with (
            os.fdopen(descriptor, "wb") as file,
            gzip.GzipFile(fileobj=file, mode="wb", mtime=0) as compressed,
            snapshot.path.open("rb") as source,
        ):
            shutil.copyfileobj(source, compressed)

    _write_privately(snapshot.path.parent, path, write)
    return path


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip: named (or `*`) without q=0."""
    for coding in accept_encoding.split(","):
        name, _, parameters = coding.partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        quality = parameters.strip().lower().removeprefix("q=").strip() if parameters else "1"
        try:
            return float(quality) > 0
        except ValueError:
            return False
    return False


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
    compressed = accepts_gzip(request.headers.get("Accept-Encoding", ""))
    # Each encoding is a representation of its own, with its own tag.
    etag = f'"{key}-gzip"' if compressed else f'"{key}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        snapshot = snapshot_get_or_render(scan=scan, key=key, extension=extension, render=render)
        path = snapshot_gzipped(snapshot) if compressed else snapshot.path
        response = FileResponse(
            path.open("rb"), content_type=content_type, as_attachment=True, filename=filename
        )
        # gunicorn cannot sendfile() through TLS: it writes the file in blocks of this size,
        # and Django's 4 KiB made a 2 MiB export six hundred trips through the interpreter.
        response.block_size = SERVE_BLOCK_BYTES
        if compressed:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    patch_vary_headers(response, ["Accept-Encoding"])
    return response
