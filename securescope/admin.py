from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.template.defaultfilters import truncatechars
from django_q.admin import ScheduleAdmin
from django_q.models import Schedule, Task

from securescope.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: an audit log nobody can edit from the application."""

    list_display = ["created_at", "action", "actor_username", "target", "detail"]
    list_filter = ["action", "created_at"]
    search_fields = ["target", "actor_username"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "action", "actor", "actor_username", "target", "detail"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ScheduleWithLastRunAdmin(ScheduleAdmin):
    """django-q2's schedules with when their last run ended and what it returned, whichever
    process ran it: a qcluster, or a web process's scheduler thread (securescope.scheduler)."""

    list_display = (*ScheduleAdmin.list_display, "last_run_ended", "last_result")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        last_run = Task.objects.filter(id=OuterRef("task"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_run_stopped=Subquery(last_run.values("stopped")),
                last_run_result=Subquery(last_run.values("result")),
                last_run_success=Subquery(last_run.values("success")),
            )
        )

    @admin.display(description="last run ended", ordering="last_run_stopped")
    def last_run_ended(self, obj: Schedule):
        return obj.last_run_stopped

    @admin.display(description="last result")
    def last_result(self, obj: Schedule) -> str:
        """What the task returned; for a failure, the exception (a traceback's last line)."""
        if obj.last_run_stopped is None:
            return ""
        result = str(obj.last_run_result)
        if not obj.last_run_success:
            result = result.strip().splitlines()[-1] if result.strip() else result
        return truncatechars(result, 120)


admin.site.unregister(Schedule)
admin.site.register(Schedule, ScheduleWithLastRunAdmin)


class DeactivatingUserAdmin(UserAdmin):
    """Users are deactivated, never deleted: their audit events keep pointing at them."""

    actions = ["deactivate"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Deactivate selected users (they can no longer sign in)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(is_active=True).update(is_active=False)
        self.message_user(request, f"{count} user(s) deactivated.", messages.SUCCESS)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), DeactivatingUserAdmin)
