from django.contrib import admin

from scans.models import OrganizationRun, Scan, ScanRegion


class ScanRegionInline(admin.TabularInline):
    model = ScanRegion
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in ScanRegion._meta.fields]


@admin.register(Scan)
class ScanAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account_label", "status", "source", "created_by"]
    list_filter = ["status", "source"]
    readonly_fields = [f.name for f in Scan._meta.fields]
    inlines = [ScanRegionInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Scans and findings end only through retention (purge_scans), which audits itself.
        return False


@admin.register(OrganizationRun)
class OrganizationRunAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account_label", "role_name", "status", "created_by"]
    readonly_fields = [f.name for f in OrganizationRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Its scans go through retention; the run only groups them.
        return False
