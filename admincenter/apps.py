from django.contrib.admin.apps import AdminConfig


class AdminCenterConfig(AdminConfig):
    """Django's admin, with the admin center's site as `admin.site` (the documented way to replace the default site)."""

    default_site = "admincenter.site.AdminCenterSite"
