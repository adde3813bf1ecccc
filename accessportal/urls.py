from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Access Portal admin center"
admin.site.site_title = "Access Portal admin center"
admin.site.index_title = "Microsoft Entra ID (demo directory)"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("invitations/", include("invitations.urls")),
    path("", include("portal.urls")),
]
