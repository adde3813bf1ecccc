from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = "Sign-ins and single sign-on"

    def seed_demo(self) -> int:
        """The demo's app registrations (directory.demo.seed_demo calls every app's seed_demo)."""
        from signin.demo import seed_demo

        return seed_demo()
