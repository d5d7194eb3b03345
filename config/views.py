"""The start page at ``/``: two big links, "Verwaltung" and "Mein Konto".

``/`` is also where CalDAV clients begin discovery (PROPFIND /, OPTIONS /), so only GET and HEAD
get the page; every other method goes to the CalDAV endpoint as before.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from caldav_endpoint import views as caldav_views


@csrf_exempt  # a DAV client's PROPFIND / carries no CSRF token; the endpoint authenticates itself
def start(request: HttpRequest) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        return render(request, "start.html")
    return caldav_views.dav(request)
