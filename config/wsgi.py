"""The WSGI application (gunicorn: ``config.wsgi``).

A gthread worker's threads share one interpreter lock. A thread back from the database waits
for it until the thread holding it has run for the switch interval (5 ms by default): a phone's
GET, a few such waits long, queued behind a neighbour's month query for tens of milliseconds
(``make bench``, 8 clients: GET p95 22× its idle median). At 1 ms a waiting request gets the
lock sooner, for a few more switches per second (issue 13).
"""

import os
import sys

from django.core.wsgi import get_wsgi_application

sys.setswitchinterval(float(os.environ.get("PYTHON_SWITCH_INTERVAL", "0.001")))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
