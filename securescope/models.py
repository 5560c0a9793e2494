from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who did what that matters to a security team. Written by services, read in the admin.

    `detail` holds ids, counts and settings only: never a credential or a raw resource id.
    """

    class Action(models.TextChoices):
        SCAN_STARTED = "scan_started", "Scan started"
        BASE_IDENTITY_USED = "base_identity_used", "Base identity used"
        RULE_CHANGED = "rule_changed", "Rule setting changed"
        RESOURCE_IDENTIFIED = "resource_identified", "Resource identified"
        RESOURCES_REVEALED = "resources_revealed", "Resources of a scan revealed"
        IDENTIFIERS_VIEWED = "identifiers_viewed", "Stored resource identifiers viewed"
        MUTE_CREATED = "mute_created", "Mute created"
        MUTE_DELETED = "mute_deleted", "Mute removed"
        EXPORT_DOWNLOADED = "export_downloaded", "Export downloaded"
        API_TOKEN_CREATED = "api_token_created", "API token created"
        API_TOKEN_REVOKED = "api_token_revoked", "API token revoked"
        API_REQUEST = "api_request", "API request"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Who it was, kept should the account ever be deleted outside the admin (which deactivates).
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    target = models.CharField(max_length=128, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["action", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor or 'system'} at {self.created_at:%c}"
