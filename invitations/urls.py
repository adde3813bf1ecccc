from django.urls import path

from invitations import views

app_name = "invitations"

urlpatterns = [
    path("redeem/<str:ticket>/", views.redeem, name="redeem"),
    path("redeem/<str:ticket>/sign-in/", views.redeem_sign_in, name="redeem-sign-in"),
    path("redeem/<str:ticket>/send-code/", views.redeem_send_code, name="redeem-send-code"),
    path("redeem/<str:ticket>/code/", views.redeem_code, name="redeem-code"),
    path("redeem/<str:ticket>/review-permissions/", views.redeem_consent, name="redeem-consent"),
    path("redeem/<str:ticket>/new-link/", views.redeem_new_link, name="redeem-new-link"),
    path("block/<str:token>/", views.block, name="block"),
    path("mailbox/", views.mailbox, name="mailbox"),
    path("mailbox/<uuid:email_id>/", views.mailbox_email, name="mailbox-email"),
    path("mailbox/<uuid:email_id>/html/", views.mailbox_email_html, name="mailbox-email-html"),
]
