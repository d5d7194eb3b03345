"""The admin's "Kalender importieren" on a resource: upload, result page, branch scope and permissions (B1, A2)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from scheduler import importer
from scheduler.exceptions import InvalidTimes
from scheduler.models import Appointment, AppointmentVersion, Door
from tests import factories as f
from tests.security.scope_world import branch_manager, superuser, with_perms

from .conftest import ALL_DAY, GOOGLE, OVERRIDE, SERIES, SINGLE, export, vevent

pytestmark = pytest.mark.django_db


def import_url(resource) -> str:
    return reverse("admin:scheduler_resource_import", args=[resource.pk])


def upload(client, resource, text: str, name: str = "export.ics"):
    return client.post(import_url(resource), {"file": SimpleUploadedFile(name, text.encode(), "text/calendar")})


def test_upload_imports_and_shows_the_report(client, calendar):
    client.force_login(superuser())
    page = client.get(reverse("admin:scheduler_resource_change", args=[calendar.pk]))
    assert f'href="{import_url(calendar)}"' in page.content.decode()  # the button on the resource
    form = client.get(import_url(calendar))
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.content.decode()
    backwards = vevent("backwards@example.org", "20261201T110000", "20261201T100000")
    resp = upload(client, calendar, export(backwards, OVERRIDE, SINGLE, SERIES, ALL_DAY))
    assert resp.status_code == 200
    report = resp.context["report"]
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert [(s.uid, s.reason) for s in report.skipped] == [("backwards@example.org", InvalidTimes().message)]
    html = resp.content.decode()
    assert 'id="import-created">3<' in html and InvalidTimes().message in html
    assert set(Appointment.objects.values_list("changed_by", flat=True)) == {"import: chef"}
    # the history (issue 12): who imported, through the import door
    assert set(AppointmentVersion.objects.values_list("door", "user__username")) == {(Door.IMPORT, "chef")}
    again = upload(client, calendar, GOOGLE)
    assert (again.context["report"].created, again.context["report"].unchanged) == (0, 3)  # idempotent


def test_list_action_opens_the_import_page_of_one_resource(client, calendar):
    client.force_login(superuser())
    other = f.room(calendar.branch, name="Refraktionsraum")
    changelist = reverse("admin:scheduler_resource_changelist")
    resp = client.post(changelist, {"action": "import_calendar", "_selected_action": [calendar.pk]})
    assert resp.status_code == 302 and resp["Location"] == import_url(calendar)
    resp = client.post(changelist, {"action": "import_calendar", "_selected_action": [calendar.pk, other.pk]},
                       follow=True)
    assert "genau eine Ressource" in resp.content.decode()


def test_manager_imports_into_own_branch_only(client, calendar):
    other_branch = f.branch("hl", name="Lübeck")
    foreign = f.resource(employee=f.employee(other_branch), name="Clara Wolf")
    client.force_login(branch_manager(calendar.branch))
    assert upload(client, calendar, GOOGLE).context["report"].created == 3
    assert client.get(import_url(foreign)).status_code == 404  # B1: another branch's resource is not there
    assert upload(client, foreign, GOOGLE).status_code == 404
    assert not Appointment.objects.filter(bookings__resource=foreign).exists()


def test_without_appointment_permissions_the_import_is_refused(client, calendar):
    viewer = f.user("nur-ansehen", perms=None, is_staff=True)
    calendar.branch.managers.add(viewer)
    viewer = with_perms(viewer, "scheduler.view_resource")
    client.force_login(viewer)
    assert client.get(import_url(calendar)).status_code == 403
    assert upload(client, calendar, GOOGLE).status_code == 403
    assert not Appointment.objects.exists()


def test_add_without_change_permission_skips_updates(client, calendar):
    adder = f.user("nur-anlegen", perms=None, is_staff=True)
    calendar.branch.managers.add(adder)
    adder = with_perms(adder, "scheduler.view_resource", "scheduler.add_appointment")
    client.force_login(adder)
    assert upload(client, calendar, export(SINGLE)).context["report"].created == 1
    report = upload(client, calendar, export(SINGLE.replace("Sehtest Müller", "Sehtest Meier"))).context["report"]
    assert report.updated == 0 and [s.reason for s in report.skipped] == ["Sie dürfen keine Termine ändern."]
    assert Appointment.objects.get().title == "Sehtest Müller"


def test_importer_refuses_a_user_outside_the_branch(calendar):
    stranger = f.user("fremd", is_staff=True)  # appointment permissions, but no branch
    with pytest.raises(importer.ImportRefused):
        importer.import_objects(calendar, importer.read_objects([("x.ics", GOOGLE)])[0], user=stranger)
    assert not Appointment.objects.exists()
