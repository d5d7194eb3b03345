"""The admin's middleware, skipped on the paths phones poll (/caldav/, /principals/, /.well-known/).

A phone sends a PROPFIND or REPORT every few minutes; it authenticates with HTTP
Basic on every request (``caldav_endpoint.auth``), has no cookies and no forms.
Sessions, CSRF, ``request.user`` and messages are work for the admin only: on a DAV
path they are skipped. Everything else still runs for DAV requests too: the
security and CSP headers, WhiteNoise, CommonMiddleware, X-Frame-Options, the
locale (the DAV:error sentences are translated for the phone's Accept-Language),
the 503 for an unavailable database and the expansion budget.

``skip_for_dav("dotted.path.Middleware")`` wraps one middleware class; settings
name the wrapped classes below, so the order of ``MIDDLEWARE`` stays visible there.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

DAV_PREFIXES = ("/caldav/", "/principals/", "/.well-known/")
DAV_PATHS = {"/caldav", "/principals"}


def is_dav(request: HttpRequest) -> bool:
    """A CalDAV path (``caldav_endpoint.urls``); PROPFIND / goes through the full stack."""
    path = request.path_info
    return path.startswith(DAV_PREFIXES) or path in DAV_PATHS


def skip_for_dav(middleware_path: str) -> type:
    """The middleware at ``middleware_path``, passing DAV requests straight on.

    A subclass, so that Django's checks (the admin's "SessionMiddleware must be in
    MIDDLEWARE") and ``isinstance`` still recognise it.
    """
    wrapped = import_string(middleware_path)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_dav(request):
            return self.get_response(request)
        return wrapped.__call__(self, request)

    namespace: dict[str, object] = {
        "__call__": __call__,
        "__doc__": f"``{middleware_path}``, not on CalDAV paths.",
        "__module__": __name__,
        "async_capable": False,  # the hooks below are synchronous; Django adapts under ASGI
    }
    # the handler calls these itself, and only where the middleware has them
    for hook in ("process_view", "process_exception"):
        if hasattr(wrapped, hook):
            namespace[hook] = _unless_dav(getattr(wrapped, hook))
    if hasattr(wrapped, "process_template_response"):
        template_hook = wrapped.process_template_response
        namespace["process_template_response"] = (
            lambda self, request, response: response if is_dav(request) else template_hook(self, request, response))
    return type(f"{wrapped.__name__}SkippedForDav", (wrapped,), namespace)


def _unless_dav(hook: Callable) -> Callable:
    def call(self: object, request: HttpRequest, *args: object) -> HttpResponse | None:
        return None if is_dav(request) else hook(self, request, *args)
    return call


SessionMiddleware = skip_for_dav("django.contrib.sessions.middleware.SessionMiddleware")
CsrfViewMiddleware = skip_for_dav("django.middleware.csrf.CsrfViewMiddleware")
AuthenticationMiddleware = skip_for_dav("django.contrib.auth.middleware.AuthenticationMiddleware")
MessageMiddleware = skip_for_dav("django.contrib.messages.middleware.MessageMiddleware")
