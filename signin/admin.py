from django.contrib import admin
from django.http import HttpRequest

from signin.models import SignInEvent


@admin.register(SignInEvent)
class SignInEventAdmin(admin.ModelAdmin):
    """Sign-in logs: read-only, like the audit log."""

    list_display = [
        "created_date_time",
        "user_display_name",
        "app_display_name",
        "status",
        "error_code",
        "ip_address",
        "cross_tenant_access_type",
        "protocol",
    ]
    list_filter = ["status", "sign_in_event_type", "protocol", "cross_tenant_access_type", "tenant"]
    search_fields = ["user_principal_name", "user_display_name", "app_display_name", "app_id", "=request_id"]
    date_hierarchy = "created_date_time"
    list_select_related = ["tenant"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SignInEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SignInEvent | None = None) -> bool:
        return False
