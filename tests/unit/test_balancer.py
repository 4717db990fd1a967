"""HAProxy's configuration for several gateways: sticky, health-checked, no public metrics."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot import balancer
from bot.balancer import Backend, BalancerMissing, haproxy_config, write_config

BACKENDS = [Backend("gateway-1", "127.0.0.1", 9101), Backend("gateway-2", "127.0.0.1", 9102)]


def test_every_gateway_is_health_checked_and_named_by_the_sticky_cookie() -> None:
    config = haproxy_config("127.0.0.1", 8000, BACKENDS)
    assert "bind 127.0.0.1:8000" in config
    assert "cookie tandem_gateway insert indirect nocache httponly\n" in config
    assert "option httpchk GET /health" in config
    for backend in BACKENDS:
        assert (
            f"server {backend.name} {backend.host}:{backend.port} check cookie {backend.name}"
            in config
        )
    assert "deny deny_status 404 if { path_beg /metrics }" in config
    assert "timeout tunnel" in config


def test_over_https_the_cookie_is_secure_and_crosses_sites() -> None:
    config = haproxy_config("0.0.0.0", 443, BACKENDS, secure_cookie=True)
    assert "httponly secure attr SameSite=None" in config


@pytest.mark.skipif(shutil.which("haproxy", path="/usr/sbin:/usr/bin") is None, reason="no haproxy")
def test_haproxy_accepts_the_configuration(tmp_path: Path) -> None:
    config = write_config(tmp_path / "haproxy.cfg", haproxy_config("127.0.0.1", 8000, BACKENDS))
    assert config.stat().st_mode & 0o077 == 0
    checked = subprocess.run(
        [balancer.haproxy_binary(), "-c", "-f", str(config)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_missing_haproxy_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(balancer.shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(BalancerMissing, match="apt-get install -y haproxy"):
        balancer.haproxy_binary()
