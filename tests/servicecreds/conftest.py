import pytest
from django.contrib.auth import get_user_model

from servicecreds.models import ServiceCredential
from tests import factories as f


@pytest.fixture
def setup(db):
    """A branch with Anna (person resource), a room, a room without sync, Ben, and Anna's credential."""
    branch = f.branch("hh", name="Hamburg")
    anna = f.employee(branch, display_name="Anna Becker", email="anna@example.com",
                      user=f.user("anna", password="Login-Passwort-1"))
    ben = f.employee(branch, display_name="Ben Schulz", user=f.user("ben", password="Login-Passwort-2"))
    person = f.resource(employee=anna, name="Anna Becker")
    f.resource(employee=ben, name="Ben Schulz")
    room = f.room(branch, name="Refraktionsraum", legacy_calendar_id="alt@gmail.com")
    closed = f.room(branch, name="Werkstatt", sync=False)
    cred = ServiceCredential.objects.create(username="anna-phone", user=anna.user, branch=branch, confirmed=True)
    cred.set_password("Service-Passwort-9")
    cred.save()
    ben_cred = ServiceCredential.objects.create(username="ben-phone", user=ben.user, branch=branch, confirmed=True)
    return {"branch": branch, "anna": anna, "ben": ben, "person": person, "room": room, "closed": closed,
            "cred": cred, "ben_cred": ben_cred}


@pytest.fixture
def admin_client(client, db):
    client.force_login(get_user_model().objects.create_superuser("chef", "chef@example.com", "x"))
    return client
