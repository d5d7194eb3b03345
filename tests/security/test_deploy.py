"""Production settings: check --deploy is clean, the CSP holds on our pages, errors are 503/logged."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.test import Client, RequestFactory

from config.middleware import server_error

pytestmark = pytest.mark.usefixtures("counting_hasher")  # fast password hashing
ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra) -> dict:
    # not what the test run set for itself (browser tests set DJANGO_ALLOW_ASYNC_UNSAFE)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SECURE_", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "CONTENT_SECURITY"))}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="termine.example.com,testserver",
               PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="config.settings", **extra)
    return env


def test_check_deploy_is_clean_in_production():
    proc = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_https_settings_only_in_production():
    """`make run` and the tests stay on plain http; production gets HSTS, secure cookies and the redirect."""
    code = ("from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
            "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)")
    prod = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code], cwd=ROOT,
                          env=production_env(SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO"),
                          capture_output=True, text=True, timeout=60)
    assert prod.stdout.split() == ["True", "31536000", "True", "True", "('HTTP_X_FORWARDED_PROTO',", "'https')"], \
        prod.stderr
    assert not django_settings.SECURE_SSL_REDIRECT and not django_settings.SESSION_COOKIE_SECURE


# --- unhandled errors: logged with traceback, no secrets; database errors are 503 -----------------------------


def test_unhandled_exception_is_logged_with_traceback_without_credentials():
    token = base64.b64encode(b"anna-phone:Geheim-Passwort-42").decode()
    script = ("import django; django.setup()\n"
              "from django.test import Client, override_settings\n"
              "with override_settings(ROOT_URLCONF='tests.security.failing_urls'):\n"
              f"    r = Client(raise_request_exception=False).get('/fail/bug/', HTTP_AUTHORIZATION='Basic {token}')\n"
              "print('STATUS', r.status_code)\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=production_env(SECURE_SSL_REDIRECT="0"),
                          capture_output=True, text=True, timeout=60)
    assert "STATUS 500" in proc.stdout, proc.stderr
    assert "Traceback (most recent call last)" in proc.stderr
    assert "RuntimeError: boom with Basic [redacted]" in proc.stderr
    assert token not in proc.stderr and "Geheim-Passwort-42" not in proc.stderr


@pytest.mark.parametrize("url", ["/fail/locked/", "/fail/gone/"])
def test_database_error_in_a_view_is_503_with_retry_after(db, settings, caplog, url):
    settings.ROOT_URLCONF = "tests.security.failing_urls"
    resp = Client(raise_request_exception=False).get(url)
    assert resp.status_code == 503
    assert resp["Retry-After"] == "5"
    assert "Content-Security-Policy" in resp
    record = next(r for r in caplog.records if r.name == "terminsync.db")
    assert record.exc_info is not None  # logged with its traceback


def test_database_error_outside_a_view_is_503_too():
    rf = RequestFactory()
    try:
        raise OperationalError("could not connect to server")
    except OperationalError:
        resp = server_error(rf.get("/"))
    assert resp.status_code == 503 and resp["Retry-After"] == "5"


def test_other_errors_stay_500(db, settings):
    settings.ROOT_URLCONF = "tests.security.failing_urls"
    assert Client(raise_request_exception=False).get("/fail/bug/").status_code == 500


# --- Content-Security-Policy ----------------------------------------------------------------------------------


def policy_directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def assert_page_obeys_csp(resp) -> None:
    """What the browser would block: inline scripts, handlers not allowed by hash, foreign sources."""
    policy = policy_directives(resp["Content-Security-Policy"])
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    allowed_hashes = {s.strip("'").removeprefix("sha256-") for s in scripts if s.startswith("'sha256-")}
    doc = lxml.html.fromstring(resp.content)
    for script in doc.iter("script"):
        if script.get("type") == "application/json":
            continue  # data, never executed
        assert script.get("src"), f"inline script: {lxml.html.tostring(script)[:200]!r}"
        assert script.get("src").startswith("/"), script.get("src")  # 'self'
    for el in doc.iter():
        for name, value in el.attrib.items():
            if name.startswith("on"):
                digest = base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()
                assert digest in allowed_hashes, f"inline handler {name}={value!r} not allowed by the CSP"
            if name in ("href", "src", "action") and value.strip().lower().startswith("javascript:"):
                raise AssertionError(f"javascript: URL in {el.tag}")
    for link in doc.iter("link"):
        if link.get("rel") == "stylesheet":
            assert link.get("href", "").startswith("/"), link.get("href")


@pytest.fixture
def staff_client(client, dav):
    client.force_login(get_user_model().objects.create_superuser("chef", "chef@example.com", "x"))
    return client


def test_policy_is_sent_with_every_response(client, dav):
    for url in ["/account/login/", "/admin/login/", "/caldav/"]:
        resp = client.get(url)
        assert resp["Content-Security-Policy"] == django_settings.CONTENT_SECURITY_POLICY, url
    directives = policy_directives(django_settings.CONTENT_SECURITY_POLICY)
    assert directives["default-src"] == ["'self'"] and directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_login_pages_work_under_the_policy(client, db):
    for url in ["/account/login/", "/admin/login/"]:
        resp = client.get(url)
        assert resp.status_code == 200
        assert_page_obeys_csp(resp)


def test_admin_and_account_pages_work_under_the_policy(staff_client, dav):
    cred = dav.credential
    urls = ["/admin/", "/admin/servicecreds/servicecredential/", f"/admin/servicecreds/servicecredential/{cred.pk}/change/",
            f"/admin/servicecreds/servicecredential/{cred.pk}/url/", "/admin/servicecreds/servicecredential/add/",
            "/admin/scheduler/appointment/", "/admin/scheduler/resource/", "/admin/scheduler/appointment/add/",
            "/admin/auth/user/", "/api/"]
    for url in urls:
        resp = staff_client.get(url, HTTP_ACCEPT="text/html")
        assert resp.status_code == 200, url
        assert_page_obeys_csp(resp)


def test_my_account_works_under_the_policy(client, dav):
    client.force_login(dav.employee.user)
    resp = client.get("/account/")
    assert resp.status_code == 200 and dav.credential.username in resp.content.decode()
    assert_page_obeys_csp(resp)
    assert re.search(r'onchange="this\.form\.submit\(\)"', resp.content.decode())  # allowed by its hash


# --- SQLite under concurrent writers -----------------------------------------------------------------------------

CONCURRENT_WRITERS = """
import threading, time
import django
django.setup()
from django.db import connection, connections, transaction

with connection.cursor() as c:
    c.execute("PRAGMA journal_mode")
    mode = c.fetchone()[0]
    c.execute("CREATE TABLE counter (n INTEGER)")
    c.execute("INSERT INTO counter VALUES (0)")
connections.close_all()
errors = []

def work():
    try:
        for _ in range(25):  # read, then write: the pattern that deadlocks a DEFERRED transaction
            with transaction.atomic(), connection.cursor() as c:
                c.execute("SELECT n FROM counter")
                n = c.fetchone()[0]
                time.sleep(0.002)
                c.execute("UPDATE counter SET n = %s", [n + 1])
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connections.close_all()

threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
with connection.cursor() as c:
    c.execute("SELECT n FROM counter")
    print(mode, c.fetchone()[0], errors)
"""


def test_sqlite_file_database_takes_concurrent_writers(tmp_path):
    """WAL + BEGIN IMMEDIATE + busy timeout: four writers, no "database is locked", no lost update.

    (With Django's default DEFERRED transactions the same script loses three of four writers.)
    """
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", DJANGO_SETTINGS_MODULE="config.settings",
               PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", CONCURRENT_WRITERS], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip() == "wal 100 []", proc.stdout + proc.stderr


@pytest.mark.parametrize(("text", "secret"), [
    ("header was 'Basic YW5uYS1waG9uZTpHZWhlaW0tNDI='", "YW5uYS1waG9uZTpHZWhlaW0tNDI="),
    ("{'HTTP_AUTHORIZATION': 'Bearer abc.def.ghi', 'HTTP_HOST': 'x'}", "abc.def.ghi"),
    ("Token 0123456789abcdef0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234567"),
    ("could not connect to postgres://terminsync:s3cr3t-pw@db:5432/terminsync", "s3cr3t-pw"),
])
def test_log_filter_removes_credentials(text, secret):
    from config.log_filters import redact

    cleaned = redact(text)
    assert secret not in cleaned and "[redacted]" in cleaned


def test_log_filter_leaves_ordinary_lines_alone():
    from config.log_filters import redact

    line = "CalDAV login refused: user='anna-phone' reason=wrong_password ip=10.1.2.3"
    assert redact(line) == line
    assert redact('WWW-Authenticate: Basic realm="Terminsync CalDAV"') == 'WWW-Authenticate: Basic realm="Terminsync CalDAV"'
