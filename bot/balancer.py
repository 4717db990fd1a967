"""The load balancer in front of several gateways: Debian's HAProxy, configured here.

Socket.IO needs every request of one connection to reach the same gateway (long-polling
sends many), so HAProxy inserts a cookie naming the gateway that served the first one.
It checks each gateway's ``/health`` and stops sending new connections to one that fails.
"""

from __future__ import annotations

import resource
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HAPROXY = "haproxy"
INSTALL_HINT = "apt-get install -y haproxy"
# The cookie that pins a client to its gateway; it names a gateway, nothing about the client.
STICKY_COOKIE = "tandem_gateway"


class BalancerMissing(RuntimeError):
    """HAProxy is not installed; the message says how to install it."""


@dataclass(frozen=True)
class Backend:
    """One gateway process as the balancer sees it."""

    name: str
    host: str
    port: int


def haproxy_binary() -> str:
    """The path of ``haproxy``, or BalancerMissing with the one command that installs it."""
    path = shutil.which(HAPROXY) or shutil.which(HAPROXY, path="/usr/sbin:/usr/local/sbin")
    if path is None:
        raise BalancerMissing(
            "Several gateways need a load balancer, and HAProxy is not installed. "
            f"Install Debian's package with: sudo {INSTALL_HINT}"
        )
    return path


def max_connections() -> int:
    """As many connections as this process may open files for: each one takes two."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 200_000
    return max(1_000, (hard - 200) // 2)


def haproxy_config(
    bind_host: str,
    bind_port: int,
    backends: Sequence[Backend],
    secure_cookie: bool = False,
    maxconn: int = 10_000,
) -> str:
    """HAProxy's configuration: one public port, sticky by cookie, health-checked gateways.

    ``/metrics`` is refused at the balancer: each gateway's own figures are scraped from
    the gateway itself, and only with its token.
    """
    cookie_attributes = " secure attr SameSite=None" if secure_cookie else ""
    servers = "\n".join(
        f"    server {backend.name} {backend.host}:{backend.port} check cookie {backend.name}"
        for backend in backends
    )
    return f"""\
global
    maxconn {maxconn}
    log stdout format raw local0 notice

defaults
    mode http
    log global
    option dontlognull
    option forwardfor
    # A gateway that refuses a connection (dead, not yet marked down) is skipped, not fatal.
    option redispatch
    retries 2
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    # An upgraded WebSocket is a tunnel: idle customers keep theirs for hours.
    timeout tunnel 4h
    timeout http-keep-alive 10s
    default-server inter 2s fall 2 rise 2

frontend public
    bind {bind_host}:{bind_port}
    http-request deny deny_status 404 if {{ path_beg /metrics }}
    default_backend gateways

backend gateways
    balance roundrobin
    cookie {STICKY_COOKIE} insert indirect nocache httponly{cookie_attributes}
    option httpchk GET /health
    http-check expect status 200
{servers}
"""


def write_config(path: Path, text: str) -> Path:
    """Write the configuration where only its owner can read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(text)
    return path


def haproxy_command(config: Path) -> list[str]:
    """HAProxy in the foreground (``-db``), so the stack supervises it like any service."""
    return [haproxy_binary(), "-db", "-f", str(config)]
