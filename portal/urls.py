from django.contrib.auth import views as auth_views
from django.urls import path

from portal.views import apps

app_name = "portal"

urlpatterns = [
    path("", apps.my_apps, name="my-apps"),
    path("sign-in/", apps.SignInView.as_view(), name="sign-in"),
    path("apps/<uuid:app_id>/logo.png", apps.app_logo, name="app-logo"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="sign-out"),
]
