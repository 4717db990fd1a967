"""The demo website at `/` and the chat widget's files at `/widget/<file>`.

Host sites embed the widget with one tag pointing at `/widget/tandem.js`; the
demo page is such a host, served from the gateway itself (see widget/README.md).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request, send_from_directory

WIDGET_DIR = Path(__file__).resolve().parent.parent / "widget"
# What may be fetched from widget/ (not the demo page, not the README), with its type:
# module scripts must come with a JavaScript type, whatever the machine's mimetypes say.
WIDGET_FILE_TYPES = {".js": "text/javascript", ".css": "text/css"}

bp = Blueprint("site", __name__)


def demo_policy(host: str) -> str:
    """The demo page may run only our own scripts and styles and talk only to this gateway."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            f"connect-src 'self' ws://{host} wss://{host}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


@bp.get("/")
def demo() -> Response:
    """A fictional company's page with the widget embedded, as a customer would see it."""
    response = send_from_directory(WIDGET_DIR, "demo.html", mimetype="text/html")
    response.headers["Content-Security-Policy"] = demo_policy(request.host)
    return response


@bp.get("/widget/<path:filename>")
def widget_file(filename: str) -> Response:
    """The widget's scripts and stylesheet; only files that exist in widget/."""
    mimetype = WIDGET_FILE_TYPES.get(Path(filename).suffix)
    if mimetype is None:
        abort(404)
    # send_from_directory answers 404 for missing files and for paths leaving the folder.
    response = send_from_directory(WIDGET_DIR, filename, mimetype=mimetype)
    # Module scripts are fetched with CORS: host sites on the allow-list may load them.
    origin = request.headers.get("Origin")
    if origin in current_app.extensions["tandem"].settings.allowed_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.vary.add("Origin")
    return response
