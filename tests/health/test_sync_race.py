"""A 412 Precondition Failed is a sync race, not a device problem: it is not counted as a refusal."""

import pytest

from caldav_endpoint import health
from caldav_endpoint.models import DeviceHealth
from scheduler import exceptions
from tests.caldav.conftest import event, request

from .conftest import status_cell

pytestmark = pytest.mark.django_db

ICS = "text/calendar; charset=utf-8"


def test_stale_etag_412_leaves_the_device_ok(client, dav, admin_client):
    path = dav.path(dav.person, "ev-1.ics")
    assert request(client, "PUT", path, event(), content_type=ICS).status_code == 201
    # the phone edits with the ETag it read before another device changed the object (RFC 4918 §12.2)
    resp = request(client, "PUT", path, event(summary="Neu"), content_type=ICS, **{"If-Match": '"stale"'})
    assert resp.status_code == 412
    # If-None-Match: * on an existing object, If-Match on one deleted meanwhile: the same race
    assert request(client, "PUT", path, event(), content_type=ICS, **{"If-None-Match": "*"}).status_code == 412
    gone = dav.path(dav.person, "gone.ics")
    assert request(client, "PUT", gone, event(uid="gone"), content_type=ICS,
                   **{"If-Match": '"x"'}).status_code == 412
    assert not DeviceHealth.objects.filter(credential=dav.credential, last_refusal_at__isnull=False).exists()
    state, _title, text = status_cell(admin_client, "anna-phone")
    assert state == "ok" and text.startswith("OK, zuletzt")


def test_a_real_refusal_after_a_race_still_counts(client, dav, admin_client):
    path = dav.path(dav.person, "ev-1.ics")
    request(client, "PUT", path, event(), content_type=ICS)
    request(client, "PUT", path, event(), content_type=ICS, **{"If-Match": '"stale"'})  # 412: not counted
    assert request(client, "PUT", path, event(start="20261124T120000", end="20261124T110000"),
                   content_type=ICS).status_code == 403  # end before start: a problem the user must fix
    health_row = DeviceHealth.objects.get(credential=dav.credential)
    assert (health_row.last_refusal_code, health_row.refusals_count) == ("invalid_times", 1)
    assert status_cell(admin_client, "anna-phone")[2] == "Fehler: Ende vor Beginn (1× in 24 Std.)"


@pytest.mark.parametrize("exc", [exceptions.PreconditionFailed, exceptions.AlreadyExists, exceptions.DoesNotExist])
def test_every_412_of_the_refusal_table_is_a_sync_race(dav, exc):
    from caldav_endpoint import refusals

    assert refusals.to_dav_error(exc()).status == 412  # what the door answers …
    health.note_refusal(dav.credential, exc.code, "DAVx5/4.4.1-ose")
    assert not DeviceHealth.objects.exists()  # … is not recorded as a refusal
