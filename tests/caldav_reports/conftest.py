from tests.caldav.conftest import fast_hasher  # noqa: F401  (autouse: cheap hashes here too)
