"""boto3 sessions and clients built from pasted credentials, and the calls that prove them.

Errors raised from here carry an AWS error code and our own wording, never AWS's message text,
which can contain ARNs or account ids.
"""

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import botocore.utils
from botocore.config import Config
from botocore.credentials import (
    AssumeRoleCredentialFetcher,
    CredentialProvider,
    CredentialResolver,
    RefreshableCredentials,
)
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

GLOBAL_API_REGION = "us-east-1"
# botocore's own default.
DEFAULT_POOL_CONNECTIONS = 10
# Each AssumeRole asks for an hour; botocore assumes again 15 minutes before the end.
ROLE_SESSION_SECONDS = 3600
DENIED_ERROR_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)
THROTTLING_ERROR_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
    }
)
_REJECTED_KEY_MESSAGES = {
    "InvalidClientTokenId": "AWS does not recognise this access key id.",
    "SignatureDoesNotMatch": "The secret access key does not match the access key id.",
    "ExpiredToken": "These credentials (or their session token) have expired.",
    "ExpiredTokenException": "These credentials (or their session token) have expired.",
    "InvalidToken": "The session token is not valid for these keys.",
    "UnrecognizedClientException": "AWS does not recognise these credentials.",
}


@dataclass(frozen=True)
class AwsCredentials:
    """What a user pasted. repr() shows nothing secret, so a traceback cannot leak it."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    session_token: str = field(default="", repr=False)
    role_arn: str = field(default="", repr=False)
    external_id: str = field(default="", repr=False)
    # Where the account's APIs answer: empty for AWS itself, a loopback URL for the demo account.
    endpoint_url: str = ""


@dataclass(frozen=True)
class CallerIdentity:
    account_id: str
    partition: str
    # The caller's ARN as STS gives it. Only the policy check at scan start needs it, so the
    # vault does not keep it.
    arn: str = field(default="", repr=False)


class CredentialsRejected(Exception):
    """The keys could not be proven; the message is safe to show to the user."""


class BaseIdentityUnavailable(CredentialsRejected):
    """The host's own credentials are off (SCANNER_BASE_IDENTITY) or none were found."""


def aws_config(
    *, total_max_attempts: int | None = None, max_pool_connections: int | None = None
) -> Config:
    return Config(
        # total_max_attempts counts the first try, as AWS_MAX_ATTEMPTS does for the AWS CLI and
        # SDKs; botocore's max_attempts would be one more (it counts retries).
        retries={
            "mode": "adaptive",
            "total_max_attempts": total_max_attempts or settings.AWS_MAX_ATTEMPTS,
        },
        connect_timeout=settings.AWS_CALL_TIMEOUT_SECONDS,
        read_timeout=settings.AWS_CALL_TIMEOUT_SECONDS,
        user_agent_extra="SecureScope",
        # Keep-alive connections kept per client: as many as its requests in flight, so none
        # is opened for one request and dropped after it.
        max_pool_connections=max_pool_connections or DEFAULT_POOL_CONNECTIONS,
    )


# botocore's service models and endpoint data, parsed once per process. Every session would
# otherwise parse its own copy (EC2's model alone is 4 MB of JSON): that was a fifth of a
# scan's CPU and 40% of its memory (BENCHMARKS.md). The models are read-only once loaded, as
# boto3's default session already shares them between threads (botocore issue #3078).
_shared_loader = botocore.loaders.Loader()
_session_lock = threading.Lock()
_client_lock = threading.Lock()


def _timestamp(value: Any) -> datetime:
    """A timestamp of an AWS answer. Nearly all are ISO 8601, which the standard library reads
    several times faster than botocore's general parser (dateutil's), a tenth of a scan's CPU;
    anything else goes to botocore's."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return botocore.utils.parse_timestamp(value)


def _session(core: botocore.session.Session, **keys: str | None) -> boto3.Session:
    core.register_component("data_loader", _shared_loader)
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_timestamp)
    with _session_lock:
        session = boto3.Session(botocore_session=core, **keys)
        # Each boto3 session appends boto3's data folder to the loader's paths: keep one.
        _shared_loader.search_paths[:] = dict.fromkeys(_shared_loader.search_paths)
    return session


def session_from_credentials(credentials: AwsCredentials) -> boto3.Session:
    return _session(
        botocore.session.Session(),
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token or None,
    )


def new_client(
    session: boto3.Session,
    service: str,
    region: str,
    endpoint_url: str = "",
    *,
    total_max_attempts: int | None = None,
    max_pool_connections: int | None = None,
):
    # One at a time in the process: scan units start together, and the first client of a
    # service parses its model while the others wait for the shared copy instead of each
    # parsing their own. Creating a client is CPU work under the GIL, so nothing is lost.
    with _client_lock:
        return session.client(
            service,
            region_name=region,
            endpoint_url=endpoint_url or None,
            config=aws_config(
                total_max_attempts=total_max_attempts, max_pool_connections=max_pool_connections
            ),
        )


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "Unknown")


def is_access_denied(error: ClientError) -> bool:
    # Some REST services answer a bare 403 whose code botocore reports as "403" (moto's EKS
    # does): the status says the same as AccessDeniedException.
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(error) in DENIED_ERROR_CODES or status == 403


def prove_credentials(credentials: AwsCredentials) -> tuple[boto3.Session, CallerIdentity]:
    """Check the keys with GetCallerIdentity, assuming the role first when one is given.

    Returns the proven session and the identity of the scanned account (the role's account in
    role mode).
    """
    try:
        session = scan_session(credentials)
        identity = new_client(
            session, "sts", GLOBAL_API_REGION, credentials.endpoint_url
        ).get_caller_identity()
    except (ClientError, BotoCoreError) as error:
        raise _rejected(error, doing="verify these credentials") from None
    arn_parts = identity["Arn"].split(":")
    return session, CallerIdentity(
        account_id=identity["Account"], partition=arn_parts[1], arn=identity["Arn"]
    )


def _rejected(error: ClientError | BotoCoreError, *, doing: str) -> CredentialsRejected:
    """Why STS would not `doing`, in our words and AWS's error code only."""
    if isinstance(error, ClientError):
        code = error_code(error)
        message = _REJECTED_KEY_MESSAGES.get(code, f"AWS refused to {doing}.")
        return CredentialsRejected(f"{message} ({code})")
    return CredentialsRejected(f"Could not reach AWS STS to {doing} ({type(error).__name__}).")


def scan_session(credentials: AwsCredentials) -> boto3.Session:
    """A session on the pasted keys, or on the assumed role in role mode.

    The role's credentials are botocore's refreshable ones: a unit still running when they near
    their expiry assumes the role again (same ARN and external id) instead of failing. They
    live in this session's memory only, never in a file cache.
    """
    session = session_from_credentials(credentials)
    if credentials.role_arn:
        session = _assumed_role_session(session, credentials)
    return session


def _assumed_role_session(source: boto3.Session, credentials: AwsCredentials) -> boto3.Session:
    extra_args = {"RoleSessionName": "SecureScope", "DurationSeconds": ROLE_SESSION_SECONDS}
    if credentials.external_id:
        extra_args["ExternalId"] = credentials.external_id

    def sts_client(service_name: str, **source_keys: str):
        # The fetcher hands over the source keys; region, endpoint and retries are ours. Not
        # under _client_lock: a refresh can start while another client is being built.
        return source.client(
            service_name,
            region_name=GLOBAL_API_REGION,
            endpoint_url=credentials.endpoint_url or None,
            config=aws_config(),
            **source_keys,
        )

    fetcher = AssumeRoleCredentialFetcher(
        client_creator=sts_client,
        source_credentials=source.get_credentials(),
        role_arn=credentials.role_arn,
        extra_args=extra_args,
        cache={},  # memory only: botocore's default for profiles is a file under ~/.aws
    )
    try:
        # Assumed now, not at the first call, so a refused role fails the form, not the scan.
        role_credentials = RefreshableCredentials.create_from_metadata(
            metadata=fetcher.fetch_credentials(),
            refresh_using=fetcher.fetch_credentials,
            method="assume-role",
        )
    except ClientError as error:
        code = error_code(error)
        if code in DENIED_ERROR_CODES:
            raise CredentialsRejected(
                "These keys may not assume that role (check its trust policy and the external "
                f"id). ({code})"
            ) from None
        raise
    core = botocore.session.Session()
    core.register_component(
        "credential_provider", CredentialResolver([_Provided(role_credentials)])
    )
    return _session(core)


class _Provided(CredentialProvider):
    """Hands botocore credentials we already hold (the assumed role's, refreshable)."""

    METHOD = "assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


def ambient_credentials() -> AwsCredentials:
    """The host's own credentials (the base identity), from boto3's standard provider chain:
    environment, shared files and SSO profiles, web identity (IRSA), the ECS/EKS task role or
    the instance profile.

    Off unless SCANNER_BASE_IDENTITY=ambient: a host's role must not become a scanner's
    identity by accident. They are only ever used to assume an account's role; they are never
    stored, not even in the vault.
    """
    if settings.SCANNER_BASE_IDENTITY != "ambient":
        raise BaseIdentityUnavailable(
            "No base identity: set SCANNER_BASE_IDENTITY=ambient to let SecureScope use this "
            "host's own AWS credentials to assume the account's role."
        )
    try:
        found = botocore.session.Session().get_credentials()
        # Refreshable sources (SSO, web identity, task role) fetch their keys here.
        frozen = found.get_frozen_credentials() if found is not None else None
    except BotoCoreError as error:
        raise BaseIdentityUnavailable(
            f"This host's AWS credentials could not be read ({type(error).__name__})."
        ) from None
    if frozen is None:
        raise BaseIdentityUnavailable(
            "SCANNER_BASE_IDENTITY=ambient, but this host has no AWS credentials (no "
            "environment keys, profile, web identity, task role or instance profile)."
        )
    return AwsCredentials(
        access_key_id=frozen.access_key,
        secret_access_key=frozen.secret_key,
        session_token=frozen.token or "",
    )


def assumed_role_credentials(
    base: AwsCredentials, *, role_arn: str, external_id: str = ""
) -> AwsCredentials:
    """The short-lived keys of `role_arn` assumed from `base` (ROLE_SESSION_SECONDS), so that
    what a scan keeps in the vault is the role's keys, never the base identity's."""
    role = replace(base, role_arn=role_arn, external_id=external_id)
    try:
        frozen = scan_session(role).get_credentials().get_frozen_credentials()
    except (ClientError, BotoCoreError) as error:
        raise _rejected(error, doing="assume the role with these keys") from None
    return AwsCredentials(
        access_key_id=frozen.access_key,
        secret_access_key=frozen.secret_key,
        session_token=frozen.token or "",
        endpoint_url=base.endpoint_url,
    )


def enabled_regions(session: boto3.Session, endpoint_url: str = "") -> list[str]:
    """The regions this account can use (opt-in regions only when opted in)."""
    ec2 = new_client(session, "ec2", GLOBAL_API_REGION, endpoint_url)
    response = ec2.describe_regions(AllRegions=False)
    return sorted(
        region["RegionName"]
        for region in response["Regions"]
        if region.get("OptInStatus", "opt-in-not-required") != "not-opted-in"
    )
