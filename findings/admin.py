from django.contrib import admin

from findings.models import Finding, Mute


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["rule_id", "status", "severity", "region", "resource_type", "scan"]
    list_filter = ["status", "severity", "service"]
    search_fields = ["rule_id", "title"]
    list_select_related = ["scan"]
    readonly_fields = [f.name for f in Finding._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Scans and findings end only through retention (purge_scans), which audits itself.
        return False


@admin.register(Mute)
class MuteAdmin(admin.ModelAdmin):
    """Read-only: mutes are made and removed in the app, where each change is audited."""

    list_display = ["rule_id", "account_label", "fingerprint", "owner", "expires_at", "created_by"]
    list_filter = ["expires_at"]
    search_fields = ["rule_id", "justification"]
    list_select_related = ["owner", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
