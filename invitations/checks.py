"""Deployment checks (`manage.py check --deploy`) for what the emails and rate limits rely on."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Caches whose entries live in one process (or one machine): rate limits kept there count per
# worker, so four gunicorn workers would let four times the limit through.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
}


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs) -> list[Warning]:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        Warning(
            f"The default cache is {backend.rsplit('.', 1)[-1]}, which every worker keeps on its own: "
            "the rate limits on codes, new links and sign-in would count per process.",
            hint="Leave CACHES to the database cache table (the default) or set REDIS_URL.",
            id="accessportal.W001",
        )
    ]


@register(deploy=True)
def check_site_url(app_configs, **kwargs) -> list[Warning]:
    if settings.SITE_URL or settings.DEMO_MODE:
        return []
    return [
        Warning(
            "ACCESSPORTAL_SITE_URL is not set: links in invitation and notification emails would point "
            "to http://127.0.0.1:8000.",
            hint="Set ACCESSPORTAL_SITE_URL to the portal's public address, e.g. https://portal.example.com.",
            id="accessportal.W002",
        )
    ]
