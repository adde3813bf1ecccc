"""The directory's blades in the admin center, one module per blade family (imported here to register them)."""

from django.contrib import admin
from django.contrib.auth.models import Group as AuthGroup

from directory.admin import enterprise_apps, groups, logs, organizations, users

# "Groups" in this admin center are directory groups, as in the Azure portal.
admin.site.unregister(AuthGroup)

__all__ = ["enterprise_apps", "groups", "logs", "organizations", "users"]
