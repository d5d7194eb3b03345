"""D1, D2, U5: a real CalDAV client set up with exactly the profile's values finds the calendar."""

import plistlib

import caldav
import pytest
from django.test import Client

from servicecreds import setup_links

pytestmark = pytest.mark.django_db(transaction=True)


def test_python_caldav_with_the_profile_values_discovers_the_calendar(live_server, setup, settings):
    settings.TERMINSYNC_BASE_URL = live_server.url
    new = setup_links.create(setup["cred"], setup["person"])
    browser = Client()
    assert browser.post(f"/setup/{new.token}/").status_code == 302
    resp = browser.post(f"/setup/{new.token}/profile/", {"password": "Service-Passwort-9"})
    account = plistlib.loads(resp.content)["PayloadContent"][0]
    scheme = "https" if account["CalDAVUseSSL"] else "http"
    server = f"{scheme}://{account['CalDAVHostName']}:{account['CalDAVPort']}"
    assert account["CalDAVPrincipalURL"].startswith(server)  # the principal is on that server
    client = caldav.DAVClient(url=account["CalDAVPrincipalURL"], username=account["CalDAVUsername"],
                              password=account["CalDAVPassword"])
    calendars = {str(c.url).removeprefix(server): c for c in client.principal().calendars()}
    assert f"/caldav/anna-phone/{setup['person'].slug}/" in calendars
    assert f"/caldav/anna-phone/{setup['room'].slug}/" in calendars
    assert calendars[f"/caldav/anna-phone/{setup['person'].slug}/"].get_display_name() == "Anna Becker"
