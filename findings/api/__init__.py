"""The HTTP API for automation (`/api/v1/`): personal tokens, scans, findings, exports, mutes."""
