from django.apps import AppConfig


class GraphConfig(AppConfig):
    name = "graph"
    verbose_name = "Microsoft Graph"

    def seed_demo(self) -> int:
        """The demo's Graph scripting registration (directory.demo.seed_demo calls every app's seed_demo)."""
        from graph.demo import seed_demo

        return seed_demo()
