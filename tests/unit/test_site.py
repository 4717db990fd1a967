"""The demo page and the widget's files, as the gateway serves them (Flask's test client)."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.settings import Settings
from handoff.app import create_app
from handoff.web.site import WIDGET_DIR

HOST_SITE = "https://shop.example.com"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The real gateway app; these requests never reach Redis, so none runs at that address."""
    folder = tmp_path_factory.mktemp("site")
    settings = dataclasses.replace(
        Settings.from_env({}),
        database_url=f"sqlite:///{folder / 'tandem.db'}",
        redis_url="redis://127.0.0.1:1/0",
        secret_key="test-secret-key",
        allowed_origins=("http://127.0.0.1:8000", HOST_SITE),
    )
    return create_app(settings)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_the_demo_page_embeds_the_widget_with_one_tag(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert page.count("<script") == 1
    assert '<script type="module" src="/widget/tandem.js"' in page


def test_the_demo_page_runs_only_our_scripts_and_talks_only_to_this_gateway(
    client: FlaskClient,
) -> None:
    policy = client.get("/", base_url="http://chat.example.com:8000").headers[
        "Content-Security-Policy"
    ]
    rules = dict(rule.split(" ", 1) for rule in policy.split("; "))
    assert rules["default-src"] == "'none'"
    assert rules["script-src"] == "'self'"
    assert rules["style-src"] == "'self'"
    assert rules["connect-src"] == "'self' ws://chat.example.com:8000 wss://chat.example.com:8000"
    assert rules["frame-ancestors"] == "'none'"


@pytest.mark.parametrize(
    "name", sorted(p.name for p in WIDGET_DIR.iterdir() if p.suffix in (".js", ".css"))
)
def test_every_script_and_stylesheet_of_the_widget_is_served(
    client: FlaskClient, name: str
) -> None:
    response = client.get(f"/widget/{name}")
    assert response.status_code == 200
    # Browsers run module scripts only when they come as JavaScript.
    assert response.mimetype == ("text/css" if name.endswith(".css") else "text/javascript")
    assert response.get_data() == (WIDGET_DIR / name).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/widget/missing.js",
        "/widget/demo.html",  # the page is at /, not among the widget's files
        "/widget/README.md",
        "/widget/../tests/browser/contrast.js",
        "/widget/%2e%2e/tests/browser/contrast.js",
        "/widget/..%2ftests%2fbrowser%2fcontrast.js",
        "/widget//etc/passwd.js",
    ],
)
def test_anything_else_is_not_found(client: FlaskClient, path: str) -> None:
    # Werkzeug first redirects a path with doubled slashes to the merged one.
    assert client.get(path, follow_redirects=True).status_code == 404


def test_the_traversal_targets_exist_so_the_404s_above_mean_refused() -> None:
    assert (WIDGET_DIR.parent / "tests" / "browser" / "contrast.js").is_file()
    assert (WIDGET_DIR / "demo.html").is_file()


def test_allowed_host_sites_may_load_the_module_scripts(client: FlaskClient) -> None:
    allowed = client.get("/widget/tandem.js", headers={"Origin": HOST_SITE})
    assert allowed.headers["Access-Control-Allow-Origin"] == HOST_SITE
    assert "Origin" in allowed.headers["Vary"]
    other = client.get("/widget/tandem.js", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
