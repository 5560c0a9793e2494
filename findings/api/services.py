"""Personal API tokens: created with a secret shown once, kept as its SHA-256, revoked."""

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from findings.api.models import ApiToken
from securescope.models import AuditEvent
from securescope.services import audit_record

# The secret's visible marker: secret scanners and people recognize a SecureScope token by it.
TOKEN_MARKER = "ssk_"  # noqa: S105 (a public marker, not a secret)
PREFIX_LENGTH = len(TOKEN_MARKER) + 8


def token_hash(secret: str) -> str:
    # The secret carries 256 random bits: a fast hash is enough, no salt or stretching needed.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: AbstractBaseUser, name: str, expires_at: datetime
) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is returned here and never stored."""
    if expires_at <= timezone.now():
        raise ValidationError("A token must expire in the future.", code="expired")
    # Locks the user's row so that two requests at once cannot both pass the limit.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    active = ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).count()
    if active >= settings.API_TOKENS_PER_USER:
        raise ValidationError(
            f"At most {settings.API_TOKENS_PER_USER} active tokens per user: revoke one first.",
            code="too_many",
        )
    secret = TOKEN_MARKER + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        token_hash=token_hash(secret),
        prefix=secret[:PREFIX_LENGTH],
        expires_at=expires_at,
    )
    audit_record(
        actor=user,
        action=AuditEvent.Action.API_TOKEN_CREATED,
        target=f"api token {token.id}",
        detail={"name": name, "prefix": token.prefix, "expires_at": expires_at.isoformat()},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user: AbstractBaseUser) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=user,
        action=AuditEvent.Action.API_TOKEN_REVOKED,
        target=f"api token {token.id}",
        detail={"name": token.name, "prefix": token.prefix, "owner": token.user.get_username()},
    )


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The active token with this secret, its last use set to now; None for any other."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    token.last_used_at = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=token.last_used_at)
    return token
