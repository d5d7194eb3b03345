"""The credential list with its status column fits a 1280 px wide screen (issue 14 B2)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from caldav_endpoint.models import DeviceHealth
from servicecreds.models import ServiceCredential
from tests.caldav.conftest import make_credential
from tests.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)

IOS = "iOS/18.1 (22B83) dataaccessd/1.0"


def test_list_fits_1280_px(page, live_server, dav):
    now = timezone.now()
    ok = make_credential(dav.employee.user, dav.branch, username="anna-iphone-privat")
    ServiceCredential.objects.filter(pk=ok.pk).update(last_used_at=now - dt.timedelta(minutes=5), last_user_agent=IOS)
    DeviceHealth.objects.create(credential=dav.credential, last_refusal_at=now, last_refusal_code="wrong_password",
                                refusals_since=now, refusals_count=12)
    get_user_model().objects.create_superuser("chef", "chef@example.com", "Chef-Passwort-1")
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, "chef", "Chef-Passwort-1")
    page.goto(f"{live_server.url}/admin/servicecreds/servicecredential/")
    cells = page.locator("td.field-sync_status").all_text_contents()
    assert "Fehler: Passwort falsch (12× in 24 Std.)" in cells
    assert "OK, zuletzt vor 5 Min. (iPhone/iPad, iOS 18.1)" in cells
    # no page-wide horizontal scrolling, and the status column is inside the visible part of the list
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    visible = page.locator("#changelist-form .results").bounding_box()
    for box in [c.bounding_box() for c in page.locator("td.field-sync_status").all()]:
        assert box["x"] + box["width"] <= visible["x"] + visible["width"] + 1, (box, visible)
    # the whole list is visible without scrolling it sideways
    results = page.locator("#changelist-form .results")
    assert results.evaluate("e => e.scrollWidth <= e.clientWidth")
    # at most two lines each
    heights = page.locator("td.field-sync_status span").evaluate_all("els => els.map(e => e.offsetHeight)")
    line = page.locator("td.field-sync_status span").first.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert all(h <= 2 * line + 1 for h in heights), (heights, line)
