from django.apps import AppConfig


class SamlIdpConfig(AppConfig):
    name = "samlidp"
    verbose_name = "SAML single sign-on"
