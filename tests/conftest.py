"""Shared pytest fixtures. Builders live in ``tests.factories``."""

import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    """The password-verification cache must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
