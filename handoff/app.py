"""The gateway application, wired from settings.

Several gateway processes can share the work: all state is in Redis, and Socket.IO
messages between processes go through Redis too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import redis
from flask import Flask
from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix

from core.settings import Settings
from handoff import auth
from handoff.auth import TOKEN_AGE, LoginTokens
from handoff.customer_tokens import check_secret
from handoff.rasa_client import RasaClient
from handoff.records.agents import AgentDirectory
from handoff.records.archive import Archive
from handoff.records.canned import CannedResponses
from handoff.records.review_form import ReviewForm
from handoff.records.reviews import Reviews
from handoff.records.tickets import Tickets
from handoff.service.gateway import Gateway
from handoff.service.hours import BusinessHours
from handoff.sockets.agents import AgentNamespace
from handoff.sockets.customers import CustomerNamespace
from handoff.stores import Bounds
from handoff.stores.lifetime import Retention
from handoff.stores.logins import LoginThrottle
from handoff.web import console, health, inbound_mail, limits, metrics, review, site, tickets

socketio = SocketIO()


@dataclass(frozen=True)
class Tandem:
    """What the gateway's routes and namespaces share, kept in ``app.extensions["tandem"]``."""

    settings: Settings
    gateway: Gateway
    directory: AgentDirectory
    tokens: LoginTokens
    canned: CannedResponses
    throttle: LoginThrottle
    reviews: Reviews
    review_form: ReviewForm


def create_app(settings: Settings | None = None, async_mode: str = "threading") -> Flask:
    """Build the gateway for ``settings`` (default: from the environment).

    The server (``python -m handoff``) runs it with ``async_mode="gevent"``; tests that
    drive it through Flask's test clients keep the default.
    """
    settings = settings or Settings.from_env()
    if not settings.redis_url:
        raise RuntimeError("The gateway needs REDIS_URL (the stack sets it for embedded Redis).")
    if not settings.secret_key:
        raise RuntimeError("The gateway needs SECRET_KEY to sign agents' sessions.")
    if settings.customer_token_secret:
        check_secret(settings.customer_token_secret)
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Served over HTTPS (PUBLIC_URL): the cookie never travels in clear.
        SESSION_COOKIE_SECURE=settings.served_over_https,
        # A signed cookie is honoured for a working day, like the socket token.
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=TOKEN_AGE),
        MAX_CONTENT_LENGTH=limits.MAX_BODY_BYTES,
    )
    socketio.init_app(
        app,
        message_queue=settings.redis_url,
        # Widget hosts, and the gateway's own pages (the console, the demo site).
        cors_allowed_origins=list(dict.fromkeys(settings.allowed_origins + settings.own_origins)),
        async_mode=async_mode,
        # One connection's events are handled in the order they came: a customer's two quick
        # messages must not swap places (each connection has its own greenlet anyway).
        async_handlers=False,
        # Larger than our own limit (5,000 characters), so customers meet ours, with its message.
        max_http_buffer_size=1_000_000,
    )
    # Read first: a malformed review form stops the gateway with the file and line.
    review_form = ReviewForm.load()
    archive = Archive.from_settings(settings)
    archive.create_schema()
    directory = AgentDirectory.from_settings(settings)
    directory.create_schema()
    canned = CannedResponses.from_settings(settings)
    canned.create_schema()
    redis_client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    gateway = Gateway(
        redis_client,
        RasaClient(settings.rasa_servers, settings.rasa_token),
        archive,
        emit=socketio.emit,
        customer_token_secret=settings.customer_token_secret,
        grace_seconds=settings.agent_grace_seconds,
        sla_seconds=settings.queue_sla_seconds,
        is_open=BusinessHours.parse(settings.business_hours).is_open,
        bounds=Bounds(
            Retention.hours(settings.retention_bot_hours, settings.retention_closed_hours),
            settings.max_connections_per_client,
        ),
        tickets=Tickets(archive.database_url, archive.mail, settings.ticket_sla_hours),
    )
    tokens = LoginTokens(settings.secret_key)
    throttle = LoginThrottle(redis_client)
    app.extensions["tandem"] = Tandem(
        settings,
        gateway,
        directory,
        tokens,
        canned,
        throttle,
        Reviews(archive.database_url),
        review_form,
    )
    socketio.on_namespace(CustomerNamespace(gateway))
    socketio.on_namespace(AgentNamespace(gateway, directory, tokens))
    app.register_blueprint(limits.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(site.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(tickets.bp)
    app.register_blueprint(inbound_mail.bp)
    if settings.trusted_proxies:
        # Outermost, so sockets and routes alike see the client's address, not the proxy's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    return app
