from django.apps import AppConfig


class SamlIdpConfig(AppConfig):
    name = "samlidp"
    verbose_name = "SAML single sign-on"

    def seed_demo(self) -> int:
        """Salesforce's SAML configuration (directory.demo.seed_demo calls every app's seed_demo)."""
        from samlidp.demo import seed_demo

        return seed_demo()
