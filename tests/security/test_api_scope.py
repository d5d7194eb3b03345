"""The REST API shows and changes only the branches its user administers (A2, B1).

Hamburg ("hh") and Lübeck ("hl"), each with appointments, resources and employees; the logins:
an employee (the CalDAV write permissions, nothing else), a read-only user, Hamburg's branch
manager, a superuser. Everything another branch holds does not exist for a user: 404 on its
URL, "does not exist" (400, naming the field) when a write refers to it.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from scheduler.models import Appointment, Employee, Resource
from tests import factories as f
from tests.security.scope_world import World, branch_manager, build_world, superuser, with_perms

pytestmark = pytest.mark.django_db

READ_PERMS = ["scheduler.view_appointment", "scheduler.view_resource", "scheduler.view_employee",
              "branches.view_branch"]


@pytest.fixture
def world() -> World:
    return build_world()


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)  # a session, like a browser after /admin/ or /account/login/
    return client


def listed(client: APIClient, url: str) -> set[int]:
    resp = client.get(url)
    assert resp.status_code == 200, resp.content
    return {item["id"] for item in resp.json()["results"]}


def hamburg(world: World) -> dict[str, set[int]]:
    dav = world.dav
    return {"appointments": world.ids(world.hh_appts),
            "resources": world.ids([dav.person, dav.room, dav.other_person]),
            "employees": set(Employee.objects.filter(branch=dav.branch).values_list("pk", flat=True)),
            "branches": {dav.branch.pk}}


def payload(branch, resources, **over) -> dict:
    return {"branch": branch.pk, "resources": [r.pk for r in resources], "title": "Neu per API",
            "start": "2026-12-01T10:00:00+01:00", "end": "2026-12-01T11:00:00+01:00",
            "timezone": "Europe/Berlin", **over}


# --- who sees what ------------------------------------------------------------------------------

def test_employee_session_opens_no_api(world):
    """A2: Anna logs in at /account/login/ (for "Mein Konto"); the API refuses her, reads and writes."""
    anna = world.dav.employee.user
    client = APIClient()
    assert client.post("/account/login/", {"username": anna.username, "password": "pw-Geheim-123"}).status_code == 302
    lubeck = world.hl_appts[1]
    for url in ("/api/", "/api/schema/", "/api/appointments/?branch=hl&include=ical", "/api/resources/",
                "/api/employees/", "/api/branches/", f"/api/appointments/{lubeck.pk}/"):
        resp = client.get(url)
        assert resp.status_code == 403, url
        assert b"Kundendaten" not in resp.content
    assert client.patch(f"/api/appointments/{lubeck.pk}/", {"title": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/appointments/{lubeck.pk}/").status_code == 403
    assert client.post("/api/appointments/", payload(world.hh, [world.dav.person]), format="json").status_code == 403
    lubeck.refresh_from_db()
    assert lubeck.title == "Geheim Lübeck" and lubeck.deleted_at is None
    assert Appointment.objects.count() == 4


def test_read_only_user_sees_hamburg_and_writes_nothing(world):
    reader = with_perms(f.user("leser", perms=None), *READ_PERMS, "branches.use_api")
    world.hh.managers.add(reader)
    client = api_for(reader)
    for name, ids in hamburg(world).items():
        assert listed(client, f"/api/{name}/") == ids, name
    own = world.hh_appts[0]
    assert client.patch(f"/api/appointments/{own.pk}/", {"title": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/appointments/{own.pk}/").status_code == 403
    assert client.post("/api/appointments/", payload(world.hh, [world.dav.room]), format="json").status_code == 403
    assert client.post("/api/resources/", {"name": "Raum", "kind": "location", "branch": world.hh.pk},
                       format="json").status_code == 403
    own.refresh_from_db()
    assert own.title == "Sehtest Hamburg" and own.deleted_at is None


def test_view_permissions_without_use_api_are_refused(world):
    user = with_perms(f.user("nur-lesen", perms=None), *READ_PERMS)
    world.hh.managers.add(user)
    client = api_for(user)
    for url in ("/api/", "/api/appointments/", "/api/branches/", "/api/schema/"):
        assert client.get(url).status_code == 403, url


def test_api_user_who_administers_no_branch_sees_nothing(world):
    user = with_perms(f.user("integration", perms=None), *READ_PERMS, "branches.use_api")
    client = api_for(user)
    for name in ("appointments", "resources", "employees", "branches"):
        assert listed(client, f"/api/{name}/") == set(), name
    assert client.get(f"/api/appointments/{world.hh_appts[0].pk}/").status_code == 404


def test_branch_manager_sees_exactly_hamburg(world):
    client = api_for(branch_manager(world.hh))
    for name, ids in hamburg(world).items():
        assert listed(client, f"/api/{name}/") == ids, name
    # filters cannot reach past the scope
    assert listed(client, "/api/appointments/?branch=hl&include=ical") == set()
    assert listed(client, f"/api/appointments/?resource={world.dav.other_room.pk}") == set()
    assert listed(client, f"/api/appointments/?resource={world.clara_person.slug}&deleted=1") == set()
    # another branch's objects have no URL
    for url in (f"/api/appointments/{world.hl_appts[1].pk}/", f"/api/resources/{world.clara_person.pk}/",
                f"/api/employees/{world.clara.pk}/", f"/api/branches/{world.hl.pk}/"):
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert b"Clara" not in resp.content and b"Kundendaten" not in resp.content


def test_superuser_sees_everything(world):
    client = api_for(superuser())
    assert listed(client, "/api/appointments/") == world.ids(world.hh_appts + world.hl_appts)
    assert listed(client, "/api/resources/") == set(Resource.objects.values_list("pk", flat=True))
    assert listed(client, "/api/employees/") == set(Employee.objects.values_list("pk", flat=True))
    assert listed(client, "/api/branches/") == {world.hh.pk, world.hl.pk}
    assert client.get("/api/schema/").status_code == 200


# --- writes outside the scope -------------------------------------------------------------------

def test_branch_manager_cannot_touch_lubeck_objects(world):
    client = api_for(branch_manager(world.hh))
    lubeck = world.hl_appts[0]
    etag = lubeck.etag
    assert client.patch(f"/api/appointments/{lubeck.pk}/", {"title": "übernommen"}, format="json").status_code == 404
    assert client.put(f"/api/appointments/{lubeck.pk}/", payload(world.hh, [world.dav.room]),
                      format="json").status_code == 404
    assert client.delete(f"/api/appointments/{lubeck.pk}/").status_code == 404
    assert client.post(f"/api/appointments/{lubeck.pk}/restore/").status_code == 404
    assert client.patch(f"/api/resources/{world.dav.other_room.pk}/", {"sync_allowed": False},
                        format="json").status_code == 404
    assert client.delete(f"/api/employees/{world.clara.pk}/").status_code == 404
    assert client.patch(f"/api/branches/{world.hl.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client.post("/api/branches/", {"name": "Neu", "code": "neu"}, format="json").status_code == 403
    lubeck.refresh_from_db()
    assert (lubeck.title, lubeck.etag, lubeck.deleted_at) == ("Hörtest Lübeck", etag, None)
    assert Resource.objects.get(pk=world.dav.other_room.pk).sync_allowed
    assert Employee.objects.filter(pk=world.clara.pk).exists()


def test_writes_naming_another_branch_are_400_on_the_field(world):
    """A write may name only the user's branches and resources; others "do not exist" (no existence leak)."""
    dav = world.dav
    client = api_for(branch_manager(world.hh))
    before = Appointment.objects.count()
    resp = client.post("/api/appointments/", payload(world.hl, [dav.other_room]), format="json")
    assert resp.status_code == 400 and set(resp.json()) >= {"branch", "resources"}
    resp = client.post("/api/appointments/", payload(world.hh, [dav.room, dav.other_room]), format="json")
    assert resp.status_code == 400 and "resources" in resp.json()
    own = world.hh_appts[0]
    resp = client.patch(f"/api/appointments/{own.pk}/", {"branch": world.hl.pk}, format="json")
    assert resp.status_code == 400 and "branch" in resp.json()
    resp = client.patch(f"/api/appointments/{own.pk}/", {"resources": [world.clara_person.pk]}, format="json")
    assert resp.status_code == 400 and "resources" in resp.json()
    resp = client.post("/api/resources/", {"name": "Raum", "kind": "location", "branch": world.hl.pk}, format="json")
    assert resp.status_code == 400 and "branch" in resp.json()
    resp = client.post("/api/resources/", {"name": "Clara 2", "kind": "person", "branch": world.hh.pk,
                                           "employee": world.clara.pk}, format="json")
    assert resp.status_code == 400 and "employee" in resp.json()
    resp = client.post("/api/employees/", {"display_name": "Neu", "branch": world.hl.pk}, format="json")
    assert resp.status_code == 400 and "branch" in resp.json()
    # the error for another branch's object is the one for an object that does not exist
    missing = client.post("/api/employees/", {"display_name": "Neu", "branch": 987654}, format="json")
    assert missing.json()["branch"][0].replace("987654", "X") == resp.json()["branch"][0].replace(
        str(world.hl.pk), "X")
    assert Appointment.objects.count() == before
    own.refresh_from_db()
    assert own.branch_id == world.hh.pk
    assert set(own.bookings.values_list("resource", flat=True)) == {dav.person.pk, dav.room.pk}
    assert not Resource.objects.filter(name__in=["Raum", "Clara 2"]).exists()
    assert not Employee.objects.filter(display_name="Neu").exists()
    # inside the scope the same manager writes
    resp = client.post("/api/appointments/", payload(world.hh, [dav.room]), format="json")
    assert resp.status_code == 201, resp.content


def test_schema_and_root_need_a_login():
    anon = APIClient()
    assert anon.get("/api/schema/").status_code in (401, 403)
    assert anon.get("/api/").status_code in (401, 403)
    assert anon.get("/api/appointments/", HTTP_ACCEPT="text/html").status_code in (401, 403)


# --- query parameters ---------------------------------------------------------------------------

@pytest.mark.parametrize("query,name", [
    ("start=2026-02-30", "start"), ("start=2026-02-30T10:00:00", "start"), ("end=2026-13-01", "end"),
    ("start=gestern", "start"), ("start=%00", "start"), ("end=2026-01-01T10:00:00%2B25:00", "end"),
    ("start=0001-01-01T00:00:00%2B01:00", "start"), ("end=9999-12-31T23:59:59-01:00", "end"),
    ("resource=%00", "resource"), ("branch=%00", "branch"), ("resource=a%00b", "resource"),
    ("branch=hh'--", "branch"), ("resource=%C2%B2", "resource"), ("branch=" + "x" * 300, "branch"),
])
def test_bad_query_parameters_are_400_naming_the_parameter(world, query, name):
    client = api_for(superuser())
    resp = client.get(f"/api/appointments/?{query}")
    assert resp.status_code == 400, resp.content
    assert name in resp.json()


@pytest.mark.parametrize("query", ["resource=99999999999999999999", "branch=99999999999999999999",
                                   "resource=9223372036854775808", "branch=0", "resource=unbekannt"])
def test_out_of_range_ids_find_nothing(world, query):
    assert listed(api_for(superuser()), f"/api/appointments/?{query}") == set()


@pytest.mark.parametrize("url", ["/api/appointments/99999999999999999999/", "/api/resources/99999999999999999999/",
                                 "/api/branches/%00/", "/api/employees/-1/"])
def test_out_of_range_object_urls_are_404(world, url):
    assert api_for(superuser()).get(url).status_code == 404


def test_valid_dates_and_slugs_still_filter(world):
    client = api_for(branch_manager(world.hh))
    ids = world.ids(world.hh_appts)
    assert listed(client, "/api/appointments/?start=2026-11-24&end=2026-11-25") == ids
    assert listed(client, "/api/appointments/?start=2026-11-24T00:00:00%2B01:00") == ids
    assert listed(client, f"/api/appointments/?resource={world.dav.room.slug}") == {world.hh_appts[0].pk}
    assert listed(client, f"/api/appointments/?branch={world.hh.pk}") == ids
