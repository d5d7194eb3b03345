"""One module per method (or family); HANDLERS maps the HTTP method to ``handle(ctx)``."""

from . import delete, get, options, propfind, proppatch, put, report, unsupported

HANDLERS = {
    "OPTIONS": options.handle,
    "PROPFIND": propfind.handle,
    "PROPPATCH": proppatch.handle,
    "GET": get.handle,
    "HEAD": get.handle,
    "PUT": put.handle,
    "DELETE": delete.handle,
    "REPORT": report.handle,
    "MKCALENDAR": unsupported.mkcalendar,
    "MKCOL": unsupported.mkcol,
    "MOVE": unsupported.move_copy,
    "COPY": unsupported.move_copy,
    "LOCK": unsupported.lock,
    "UNLOCK": unsupported.lock,
}
