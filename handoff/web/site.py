"""The demo website at `/` and the chat widget's files at `/widget/<file>`.

Host sites embed the widget with one tag pointing at `/widget/tandem.js`; the
demo page is such a host, served from the gateway itself (see widget/README.md).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request, send_from_directory

from core.settings import ROOT
from handoff.web.page_policy import content_security_policy

WIDGET_DIR = ROOT / "widget"
# What may be fetched from widget/ (not the demo page, not the README), with its type:
# module scripts must come with a JavaScript type, whatever the machine's mimetypes say.
WIDGET_FILE_TYPES = {".js": "text/javascript", ".css": "text/css"}

bp = Blueprint("site", __name__)


@bp.get("/")
def demo() -> Response:
    """A fictional company's page with the widget embedded, as a customer would see it."""
    response = send_from_directory(WIDGET_DIR, "demo.html", mimetype="text/html")
    policy = content_security_policy(request.host, forms="'none'")
    response.headers["Content-Security-Policy"] = policy
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
