"""The admin leads to the planner, and the appointment list filters by occurrences (issue 11)."""

import datetime as dt

import pytest
from django.utils import timezone

from scheduler import services
from tests import factories as f
from tests.planner.world import BERLIN, shop, superuser, weekly_series

pytestmark = pytest.mark.django_db


@pytest.fixture
def chef(client):
    client.force_login(superuser())
    return client


def listed(client, query: str) -> set[int]:
    resp = client.get(f"/admin/scheduler/appointment/{query}")
    assert resp.status_code == 200
    return {a.pk for a in resp.context["cl"].result_list}


def test_admin_index_and_sidebar_lead_to_the_planner(chef):
    shop()
    page = chef.get("/admin/").content.decode()
    assert 'id="planner-link"' in page and 'href="/admin/planner/"' in page
    section = page[page.index('id="app-scheduler"') if 'id="app-scheduler"' in page else page.index("app-scheduler"):]
    assert section.index("/admin/planner/") < section.index("/admin/scheduler/employee/")  # first entry
    assert "/admin/scheduler/appointment/?occurs=today&amp;o=2" in page


def test_no_planner_entry_without_permission(client):
    shop()
    staff = f.user("ohne", perms=[], is_staff=True)
    client.force_login(staff)
    page = client.get("/admin/").content.decode()
    assert "/admin/planner/" not in page


def test_occurrence_filter_lists_series_on_each_day(chef):
    world = shop()
    today = timezone.localdate()
    first = dt.datetime.combine(today - dt.timedelta(weeks=3), dt.time(10), tzinfo=BERLIN)
    series = services.create_appointment(branch=world.branch, resources=[world.anna], timezone="Europe/Berlin",
                                         ical_text=weekly_series("liste@test", first, count=10))
    yesterday = f.appointment([world.ben], start=dt.datetime.combine(today - dt.timedelta(days=1), dt.time(9),
                                                                    tzinfo=BERLIN))
    later = f.appointment([world.ben], start=dt.datetime.combine(today + dt.timedelta(days=40), dt.time(9),
                                                                tzinfo=BERLIN))
    assert listed(chef, "?occurs=today") == {series.pk}  # its master started three weeks ago
    assert series.pk in listed(chef, "?occurs=week") and later.pk not in listed(chef, "?occurs=week")
    month = listed(chef, "?occurs=month")
    assert series.pk in month and later.pk not in month
    assert (yesterday.pk in month) == (yesterday.start.astimezone(BERLIN).month == today.month)
    assert listed(chef, "") == {series.pk, yesterday.pk, later.pk}  # the bare list: everything
    resp = chef.get("/admin/scheduler/appointment/?occurs=today&o=2")
    assert resp.context["cl"].get_ordering(resp.wsgi_request, resp.context["cl"].queryset)[0] == "start"
