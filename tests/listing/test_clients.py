"""Issue 13: real clients read streamed listings (python-caldav, vdirsyncer), chunks of 1 KiB.

PROPFIND Depth 1 (``children``, vdirsyncer's listing), the initial sync-collection and
calendar-multiget, each streamed in many chunks, give the clients exactly the stored objects,
hostile text included.
"""

from __future__ import annotations

import caldav
import icalendar
import pytest

from scheduler.models import Appointment
from tests.caldav.conftest import PASSWORD
from tests.caldav.test_clients import vdirsyncer, write_config

from .conftest import fill

pytestmark = pytest.mark.django_db(transaction=True)
HOSTILE = "Sehtest ]]> <b>fett</b> & \"so\""


@pytest.fixture
def calendar(live_server, dav, small_chunks):
    fill(dav.room, 0, 25)
    fill(dav.room, 25, 27, title=HOSTILE)
    client = caldav.DAVClient(url=live_server.url, username="anna-phone", password=PASSWORD)
    return client.calendar(url=f"{live_server.url}/caldav/anna-phone/{dav.room.slug}/")


def stored() -> dict[str, str]:
    return {a.uid: a.ical for a in Appointment.objects.filter(deleted_at__isnull=True)}


def test_python_caldav_lists_syncs_and_multigets_streamed_listings(calendar, dav):
    listed = [url for url, _props, _status in calendar.children()]
    assert len(listed) == 27  # PROPFIND Depth 1
    synced = calendar.get_objects_by_sync_token(load_objects=True)  # initial sync-collection + multiget
    got = {str(o.icalendar_component["UID"]): o.data for o in synced}
    assert {uid: icalendar.Calendar.from_ical(text).to_ical() for uid, text in got.items()} == \
        {uid: icalendar.Calendar.from_ical(text).to_ical() for uid, text in stored().items()}
    assert sum(HOSTILE in text for text in got.values()) == 2
    again = calendar.get_objects_by_sync_token(synced.sync_token, load_objects=True)
    assert len(list(again)) == 0


def test_vdirsyncer_downloads_every_object_exactly(calendar, dav, live_server, tmp_path):
    cfg = write_config(tmp_path, "down", f"{live_server.url}/caldav/anna-phone/{dav.room.slug}/")
    vdirsyncer(cfg, "discover")
    vdirsyncer(cfg, "sync")
    back = {p.read_bytes().decode() for p in (tmp_path / "down").glob("*.ics")}
    assert back == set(stored().values())  # byte for byte, CRLF included
