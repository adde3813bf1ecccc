from django.urls import path

from samlidp import views

app_name = "samlidp"

# Azure's URL shapes; {tenant} is a tenant id or one of its domains (signin.tenancy.resolve_tenant).
urlpatterns = [
    path("<str:tenant>/saml2", views.sign_in, name="sign-in"),
    path(
        "<str:tenant>/federationmetadata/2007-06/federationmetadata.xml",
        views.federation_metadata,
        name="federation-metadata",
    ),
]
