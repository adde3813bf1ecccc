from invitations.checks import check_shared_cache


def test_deploy_check_warns_when_rate_limits_would_count_per_process(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    warnings = check_shared_cache(None)

    assert [warning.id for warning in warnings] == ["accessportal.W001"]
    assert "count per process" in warnings[0].msg


def test_the_default_database_cache_and_redis_pass(settings):
    for backend in ("django.core.cache.backends.db.DatabaseCache", "django.core.cache.backends.redis.RedisCache"):
        settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "x"}}
        assert check_shared_cache(None) == []
