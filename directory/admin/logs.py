"""Audit logs: every change, read-only."""

from django.contrib import admin
from django.http import HttpRequest

from admincenter.blades import BladeAdmin
from directory.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(BladeAdmin):
    list_title = "Audit logs"
    list_display = ("activity_date_time", "category", "activity", "result", "initiated_by", "target", "tenant")
    list_filter = ("tenant", "category", "activity", "result")
    list_select_related = ("tenant",)
    date_hierarchy = "activity_date_time"
    search_fields = ("activity", "initiated_by", "target", "target_id")
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
