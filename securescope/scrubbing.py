"""Keep AWS key material and resource identifiers out of log lines and exception reports.

Credentials travel in `AwsCredentials` (whose repr hides them) and the scan form's secret fields
(kept out of reports by `sensitive_post_parameters`). This is the net under both: whatever text
reaches a log handler or an error page is scrubbed of anything shaped like key material, and
the report filter is active even with DEBUG on.
"""

import logging
import re
import traceback
from typing import Any

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from securescope.privacy import redact_identifiers

SUBSTITUTE = "[scrubbed]"
# The scan form's fields that hold key material, and the AWS environment variables for them.
SECRET_FIELD_NAMES = (
    "access_key_id",
    "secret_access_key",
    "session_token",
    "external_id",
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
)
_NAMED_VALUE = re.compile(
    # A field name, its separator (`=`, `: '`, `': ['`...), then the value.
    r"(?P<name>" + "|".join(SECRET_FIELD_NAMES) + r")(?P<sep>\W{1,6})(?P<value>[^'\"\s,&}\]]+)",
    re.IGNORECASE,
)
_KEY_MATERIAL = re.compile(
    r"(?:AKIA|ASIA)[A-Z0-9]{16}"  # access key ids
    # Secret access keys; `=` is left out of the class so that `secret=...` still matches.
    r"|(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])"
    r"|[A-Za-z0-9/+=]{100,}"  # session tokens
)


# The shared identifier patterns a log line is scrubbed of: those that never name one of our own
# things. Scan ids are UUIDs, and server addresses and host names are the operator's own.
LOGGED_IDENTIFIER_KINDS = ("arn", "account_id", "resource_id", "access_key_id", "email")


def scrub(text: str) -> str:
    text = _NAMED_VALUE.sub(lambda m: f"{m['name']}{m['sep']}{SUBSTITUTE}", text)
    return redact_identifiers(_KEY_MATERIAL.sub(SUBSTITUTE, text), LOGGED_IDENTIFIER_KINDS)


def traceback_without_message(error: BaseException) -> str:
    """Where `error` was raised, and from what: its type and frames, and those of the
    exceptions it was raised from, without any message (an arbitrary exception's message may
    quote identifiers: names, ids, addresses)."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_tb(current.__traceback__))
        kind = f"{type(current).__module__}.{type(current).__qualname__}"
        parts.append(f"Traceback (most recent call last):\n{frames}{kind}")
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return "\n\nRaised after:\n".join(parts)


class SecretScrubFilter(logging.Filter):
    """A handler filter: the message, its arguments and the traceback text are scrubbed."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class ScrubbingExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL|REDIS_URL",
        flags=re.IGNORECASE,
    )

    def is_active(self, request: Any) -> bool:
        # Django switches filtering off with DEBUG; a leaked key is as bad on a debug page.
        return True

    def get_post_parameters(self, request: Any) -> dict:
        parameters = super().get_post_parameters(request)
        secret = [name for name in parameters if name.lower() in SECRET_FIELD_NAMES]
        if not secret:
            return parameters
        cleansed = parameters.copy()
        for name in secret:
            cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> list:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self._scrubbed(value)) for name, value in variables]

    def _scrubbed(self, value: Any) -> Any:
        if isinstance(value, str):
            return scrub(value)
        try:
            shown = repr(value)
        except Exception:
            return value
        return self.cleansed_substitute if scrub(shown) != shown else value


class ScrubbingExceptionReporter(ExceptionReporter):
    """The exception's own message is shown on error pages and mailed reports: scrub it too."""

    def get_traceback_data(self) -> dict:
        data = super().get_traceback_data()
        if data.get("exception_value"):
            data["exception_value"] = scrub(str(data["exception_value"]))
        for frame in data.get("frames", []):
            if frame.get("exc_cause") is not None:
                frame["exc_cause"] = scrub(str(frame["exc_cause"]))
        return data
