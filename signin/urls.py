from django.urls import path

from signin import views

app_name = "signin"

# Azure's URL shapes; {tenant} is a tenant id or one of its domains (signin.tenancy.resolve_tenant).
urlpatterns = [
    path("<str:tenant>/v2.0/.well-known/openid-configuration", views.openid_configuration, name="openid-configuration"),
    path("<str:tenant>/oauth2/v2.0/authorize", views.authorize, name="authorize"),
    path("<str:tenant>/oauth2/v2.0/token", views.token, name="token"),
    path("<str:tenant>/oauth2/v2.0/logout", views.end_session, name="logout"),
    path("<str:tenant>/discovery/v2.0/keys", views.jwks, name="jwks"),
    path("oidc/userinfo", views.userinfo, name="userinfo"),
]
