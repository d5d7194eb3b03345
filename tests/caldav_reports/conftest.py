from tests.caldav.conftest import dav, fast_hasher  # noqa: F401  (shared CalDAV fixtures)
