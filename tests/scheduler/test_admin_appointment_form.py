"""The admin appointment form (issue 11): recurrence picker, branch default, resource choices."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from scheduler.models import Appointment
from tests import factories as f

from .test_admin import form_data

pytestmark = pytest.mark.django_db
ADD = "/admin/scheduler/appointment/add/"
NOT_EDITABLE = "Diese Wiederholung kann hier nicht bearbeitet werden; sie bleibt unverändert."


@pytest.fixture
def chef(client):
    admin = get_user_model().objects.create_superuser("chef", "chef@example.com", "x")
    client.force_login(admin)
    return admin


def picker(freq="", weekdays=(), end="never", until="", count=""):
    return {"repeat_freq": freq, "repeat_weekdays": list(weekdays), "repeat_end": end, "repeat_until": until,
            "repeat_count": count}


@pytest.mark.parametrize(("fields", "rrule"), [
    (picker(), ""),
    (picker("DAILY", end="count", count="5"), "FREQ=DAILY;COUNT=5"),
    (picker("WEEKLY", ["MO", "TU"]), "FREQ=WEEKLY;BYDAY=MO,TU"),
    (picker("WEEKLY", ["TU"], "until", "31.12.2026"), "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261231T225959Z"),
    (picker("MONTHLY", end="until", until="30.06.2027"), "FREQ=MONTHLY;UNTIL=20270630T215959Z"),
])
def test_posted_picker_is_stored_as_rrule(client, chef, fields, rrule):
    room = f.room()
    resp = client.post(ADD, form_data(room.branch, [room], **fields))
    assert resp.status_code == 302, resp.context["adminform"].form.errors
    appt = Appointment.objects.get()
    assert appt.rrule == rrule
    event = appt.ical.split("BEGIN:VEVENT", 1)[1]
    lines = [line for line in event.splitlines() if line.startswith("RRULE:")]
    assert [set(line[6:].split(";")) for line in lines] == ([set(rrule.split(";"))] if rrule else [])


def test_picker_wins_over_the_hidden_raw_rule_and_a_raw_rule_alone_still_works(client, chef):
    room = f.room()
    resp = client.post(ADD, form_data(room.branch, [room], rrule="FREQ=YEARLY", **picker("DAILY")))
    assert resp.status_code == 302
    assert Appointment.objects.get().rrule == "FREQ=DAILY"
    resp = client.post(ADD, form_data(room.branch, [f.room(room.branch)], title="roh",
                                      rrule="FREQ=WEEKLY;INTERVAL=2"))
    assert resp.status_code == 302
    assert Appointment.objects.get(title="roh").rrule == "FREQ=WEEKLY;INTERVAL=2"


def test_picker_asks_for_the_end_it_names(client, chef):
    room = f.room()
    resp = client.post(ADD, form_data(room.branch, [room], **picker("DAILY", end="until")))
    assert resp.status_code == 200 and "repeat_until" in resp.context["adminform"].form.errors
    resp = client.post(ADD, form_data(room.branch, [room], **picker("DAILY", end="count", count="501")))
    assert resp.status_code == 200 and "repeat_count" in resp.context["adminform"].form.errors
    assert not Appointment.objects.exists()


def test_change_form_shows_the_stored_rule_in_the_picker(client, chef):
    room = f.room()
    appt = f.appointment([room], rrule="FREQ=WEEKLY;BYDAY=MO,TU;COUNT=4")
    form = client.get(reverse("admin:scheduler_appointment_change", args=[appt.pk])).context["adminform"].form
    assert form["repeat_freq"].value() == "WEEKLY" and form["repeat_weekdays"].value() == ["MO", "TU"]
    assert form["repeat_end"].value() == "count" and form["repeat_count"].value() == 4
    assert form["rrule"].is_hidden


def test_unchanged_picker_keeps_a_phones_until_verbatim(client, chef):
    room = f.room()
    appt = f.appointment([room], rrule="FREQ=DAILY;UNTIL=20261231T090000Z")
    url = reverse("admin:scheduler_appointment_change", args=[appt.pk])
    resp = client.post(url, form_data(room.branch, [room], title="neu", version=appt.etag,
                                      rrule="FREQ=DAILY;UNTIL=20261231T090000Z",
                                      **picker("DAILY", end="until", until="31.12.2026")))
    assert resp.status_code == 302, resp.context["adminform"].form.errors
    appt.refresh_from_db()
    assert appt.title == "neu" and appt.rrule == "FREQ=DAILY;UNTIL=20261231T090000Z"


def test_rule_the_picker_cannot_express_is_read_only_and_survives_an_edit(client, chef):
    room = f.room()
    appt = f.appointment([room], rrule="FREQ=WEEKLY;INTERVAL=2")
    url = reverse("admin:scheduler_appointment_change", args=[appt.pk])
    resp = client.get(url)
    form = resp.context["adminform"].form
    assert NOT_EDITABLE in resp.content.decode()
    assert form.fields["rrule"].disabled and form.fields["repeat_freq"].disabled
    assert not form["rrule"].is_hidden
    # whatever is posted for the picker or the raw rule, the stored rule stays
    resp = client.post(url, form_data(room.branch, [room], title="Umbenannt", version=appt.etag,
                                      rrule="FREQ=DAILY", **picker("MONTHLY")))
    assert resp.status_code == 302, resp.context["adminform"].form.errors
    appt.refresh_from_db()
    assert appt.title == "Umbenannt" and appt.rrule == "FREQ=WEEKLY;INTERVAL=2"
    assert "RRULE:FREQ=WEEKLY;INTERVAL=2" in appt.ical


def test_add_form_defaults_to_the_users_branch_and_lists_its_resources_first(client):
    home, other = f.branch("hh", name="Hamburg"), f.branch("hl", name="Lübeck")
    me = f.employee(home)
    me.user.is_staff = me.user.is_superuser = True
    me.user.save()
    client.force_login(me.user)
    own_person, own_room = f.resource(home, name="Anna"), f.room(home, name="Raum 1")
    foreign_person, foreign_room = f.resource(other, name="Bert"), f.room(other, name="Raum L")
    resp = client.get(ADD)
    form = resp.context["adminform"].form
    assert form["branch"].value() == home.pk
    choices = [(value.value, label) for value, label in form.fields["booked_resources"].choices]
    assert choices == [(own_person.pk, "Anna"), (own_room.pk, "Raum 1"), (foreign_person.pk, "Bert (Lübeck)")]
    assert foreign_room.pk not in [pk for pk, _ in choices]
    assert 'class="selectfilter"' in resp.content.decode()


def test_change_form_lists_the_appointments_branch_and_keeps_booked_resources(client, chef):
    home, other = f.branch("hh", name="Hamburg"), f.branch("hl", name="Lübeck")
    person, room = f.resource(home, name="Anna"), f.room(home, name="Raum 1")
    foreign_room = f.room(other, name="Raum L")
    f.room(other, name="Raum L2")
    appt = f.appointment([person], branch=other)
    form = client.get(reverse("admin:scheduler_appointment_change", args=[appt.pk])).context["adminform"].form
    labels = [label for _, label in form.fields["booked_resources"].choices]
    assert labels == ["Raum L", "Raum L2", "Anna (Hamburg)"]  # Lübeck first; no Hamburg room
    assert room.pk not in [v.value for v, _ in form.fields["booked_resources"].choices]
    assert foreign_room.pk in [v.value for v, _ in form.fields["booked_resources"].choices]


def test_superuser_without_employee_gets_no_branch_default(client, chef):
    room = f.room()
    form = client.get(ADD).context["adminform"].form
    assert form["branch"].value() is None
    assert room.pk in [v.value for v, _ in form.fields["booked_resources"].choices]
