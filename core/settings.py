"""The one place that reads Tandem's environment.

Every process (stack launcher, Rasa wrapper, action server, CLI tools) builds a
``Settings`` with ``Settings.from_env()`` when it starts; nothing reads
``os.environ`` anywhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# An origin as browsers send it: scheme, host, optional port; no path, no trailing slash.
_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::\d{1,5})?|https?://\[[0-9A-Fa-f:.]+\](?::\d{1,5})?"
)


@dataclass(frozen=True)
class Settings:
    """Configuration of one Tandem process, from environment variables."""

    root: Path
    database_url: str
    redis_url: str | None
    rasa_port: int
    actions_port: int
    rasa_token: str
    actions_token: str
    action_timeout: float
    smtp_host: str | None
    smtp_port: int
    mail_from: str
    reset_link_base: str
    customer_token_secret: str
    gateway_port: int
    secret_key: str
    allowed_origins: tuple[str, ...]
    public_url: str
    trusted_proxies: int
    queue_sla_seconds: float
    agent_grace_seconds: float
    business_hours: str
    retention_bot_hours: float
    retention_closed_hours: float
    max_connections_per_client: int
    # Fernet key of the outbox bodies; unset: a key file beside the SQLite database (core/mail.py)
    outbox_key: str = ""
    # TANDEM_DEMO=1: demo customers and agents may go into a database other than var/'s.
    demo: bool = False
    # Every Rasa server the gateway may use, in order of preference; empty: the one on RASA_PORT.
    rasa_urls: tuple[str, ...] = ()
    # The address the gateway, Rasa and the action server bind: 127.0.0.1 on one machine,
    # a private interface's address when they serve other machines (docs/deployment.md).
    bind_host: str = "127.0.0.1"
    # Where Rasa finds the action server; empty: the local one on ACTIONS_PORT.
    actions_url: str = ""
    # The port this gateway process binds when it sits behind a load balancer on GATEWAY_PORT.
    gateway_listen_port: int = 0
    # Bearer token for the gateway's /metrics; empty: /metrics answers 404.
    metrics_token: str = ""
    # Hours to a ticket's first answer, by priority (records/tickets.py parses it).
    ticket_sla_hours: str = "urgent=1,high=4,normal=24"
    # Signs the mail provider's inbound webhook (HMAC-SHA256); empty: /inbound/mail answers 404.
    inbound_mail_key: str = ""
    # The mailbox `python -m bot mail fetch` reads customers' replies from; empty host: none.
    imap_host: str = ""
    imap_port: int = 993
    imap_user: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    imap_tls: str = "ssl"  # "ssl" (port 993), "starttls" (143) or "none" (a local server only)

    def __post_init__(self) -> None:
        """Refuse settings that would silently switch a defence off."""
        if not self.allowed_origins or "*" in self.allowed_origins:
            raise ValueError(
                "ALLOWED_ORIGINS must list the web pages that may open customer sockets, "
                "comma-separated, such as https://www.example.com,https://shop.example.com; "
                "'*' and an empty value are refused (unset it for the local default "
                f"{','.join(local_origins(self.gateway_port))})"
            )
        for origin in self.allowed_origins:
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"ALLOWED_ORIGINS: {origin!r} is not an origin; write scheme and host "
                    "(and port), such as https://www.example.com, without a path or '/'"
                )
        if self.public_url and not _ORIGIN.fullmatch(self.public_url):
            raise ValueError(
                f"PUBLIC_URL: {self.public_url!r} must be the gateway's address as browsers "
                "reach it, scheme and host (and port), such as https://chat.example.com"
            )
        for url in self.rasa_urls:
            if not re.fullmatch(r"https?://[^\s/]+", url):
                raise ValueError(
                    f"RASA_URLS: {url!r} must be a Rasa server's address, scheme, host and port "
                    "only, such as http://10.0.0.5:5005 (comma-separated for several)"
                )
        if self.imap_tls not in ("ssl", "starttls", "none"):
            raise ValueError("IMAP_TLS is 'ssl' (the default), 'starttls' or 'none'")
        if self.trusted_proxies < 0:
            raise ValueError("TRUSTED_PROXIES must be 0 (none) or the number of proxies")

    @property
    def own_origins(self) -> tuple[str, ...]:
        """The gateway's own origin(s): only its console may open agent sockets and post."""
        return (self.public_url,) if self.public_url else local_origins(self.gateway_port)

    @property
    def rasa_servers(self) -> tuple[str, ...]:
        """The Rasa servers the gateway talks to: RASA_URLS, or the local one on RASA_PORT."""
        return self.rasa_urls or (f"http://127.0.0.1:{self.rasa_port}",)

    @property
    def action_server_url(self) -> str:
        """The action server's webhook as Rasa calls it (endpoints.yml reads ACTIONS_URL)."""
        return self.actions_url or f"http://127.0.0.1:{self.actions_port}/webhook"

    @property
    def listen_port(self) -> int:
        """The port the gateway process binds: its own behind a load balancer, else GATEWAY_PORT."""
        return self.gateway_listen_port or self.gateway_port

    @property
    def tracker_expiry_seconds(self) -> int:
        """Rasa forgets a conversation no sooner than the gateway does (retention, in hours)."""
        return int(max(self.retention_bot_hours, self.retention_closed_hours) * 3600)

    @property
    def served_over_https(self) -> bool:
        return self.public_url.startswith("https://")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default: the process environment)."""
        env = dict(os.environ if env is None else env)
        gateway_port = int(env.get("GATEWAY_PORT", "8000"))
        var = ROOT / "var"
        return cls(
            root=ROOT,
            database_url=env.get("DATABASE_URL") or f"sqlite:///{var / 'tandem.db'}",
            redis_url=env.get("REDIS_URL") or None,
            rasa_port=int(env.get("RASA_PORT", "5005")),
            actions_port=int(env.get("ACTIONS_PORT", "5055")),
            rasa_token=env.get("RASA_TOKEN", ""),
            actions_token=env.get("ACTIONS_TOKEN", ""),
            action_timeout=float(env.get("ACTION_TIMEOUT", "4")),
            smtp_host=env.get("SMTP_HOST") or None,
            smtp_port=int(env.get("SMTP_PORT", "25")),
            mail_from=env.get("MAIL_FROM", "support@tandem.example"),
            reset_link_base=env.get(
                "RESET_LINK_BASE", "https://tandem.example/reset-password?token="
            ),
            # Shared with the website that signs customer tokens; empty: every chat is anonymous.
            customer_token_secret=env.get("CUSTOMER_TOKEN_SECRET", ""),
            gateway_port=gateway_port,
            # Signs agents' sessions and login tokens; the stack makes one per run when unset.
            secret_key=env.get("SECRET_KEY", ""),
            # Web pages allowed to open customer sockets: an explicit list, never "*" or empty.
            allowed_origins=tuple(
                origin.strip()
                for origin in env.get(
                    "ALLOWED_ORIGINS", ",".join(local_origins(gateway_port))
                ).split(",")
                if origin.strip()
            ),
            # Where browsers reach the gateway (its own origin); https:// makes cookies Secure.
            public_url=env.get("PUBLIC_URL", "").strip().rstrip("/"),
            # Proxies in front of the gateway whose X-Forwarded-For names the client.
            trusted_proxies=int(env.get("TRUSTED_PROXIES", "0")),
            queue_sla_seconds=float(env.get("QUEUE_SLA_SECONDS", "120")),
            agent_grace_seconds=float(env.get("AGENT_GRACE_SECONDS", "60")),
            business_hours=env.get("BUSINESS_HOURS", "always"),
            # A chat left with the bot is forgotten this long after its last activity; a closed
            # one sooner (its archived copy stays in SQL). Queued and assigned chats never expire.
            retention_bot_hours=float(env.get("RETENTION_BOT_HOURS", "24")),
            retention_closed_hours=float(env.get("RETENTION_CLOSED_HOURS", "1")),
            # Open sockets (per namespace) from one remote address, across gateway processes.
            max_connections_per_client=int(env.get("MAX_CONNECTIONS_PER_CLIENT", "20")),
            outbox_key=env.get("OUTBOX_KEY", ""),
            demo=env.get("TANDEM_DEMO", "") == "1",
            rasa_urls=tuple(
                url.strip().rstrip("/")
                for url in env.get("RASA_URLS", "").split(",")
                if url.strip()
            ),
            bind_host=env.get("BIND_HOST", "127.0.0.1"),
            actions_url=env.get("ACTIONS_URL", "").strip(),
            gateway_listen_port=int(env.get("GATEWAY_LISTEN_PORT", "0")),
            metrics_token=env.get("METRICS_TOKEN", ""),
            ticket_sla_hours=env.get("TICKET_SLA_HOURS", "urgent=1,high=4,normal=24"),
            inbound_mail_key=env.get("INBOUND_MAIL_KEY", ""),
            imap_host=env.get("IMAP_HOST", ""),
            imap_port=int(env.get("IMAP_PORT", "993")),
            imap_user=env.get("IMAP_USER", ""),
            imap_password=env.get("IMAP_PASSWORD", ""),
            imap_folder=env.get("IMAP_FOLDER", "INBOX"),
            imap_tls=env.get("IMAP_TLS", "ssl").strip().lower(),
        )

    def as_env(self) -> dict[str, str]:
        """These settings as the environment variables ``from_env`` reads; not the mailbox's
        (IMAP_*): only ``python -m bot mail fetch`` reads it, in the operator's own process."""
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url or "",
            "RASA_PORT": str(self.rasa_port),
            "ACTIONS_PORT": str(self.actions_port),
            "RASA_TOKEN": self.rasa_token,
            "ACTIONS_TOKEN": self.actions_token,
            "ACTION_TIMEOUT": str(self.action_timeout),
            "SMTP_HOST": self.smtp_host or "",
            "SMTP_PORT": str(self.smtp_port),
            "MAIL_FROM": self.mail_from,
            "RESET_LINK_BASE": self.reset_link_base,
            "CUSTOMER_TOKEN_SECRET": self.customer_token_secret,
            "GATEWAY_PORT": str(self.gateway_port),
            "SECRET_KEY": self.secret_key,
            "ALLOWED_ORIGINS": ",".join(self.allowed_origins),
            "PUBLIC_URL": self.public_url,
            "TRUSTED_PROXIES": str(self.trusted_proxies),
            "QUEUE_SLA_SECONDS": str(self.queue_sla_seconds),
            "AGENT_GRACE_SECONDS": str(self.agent_grace_seconds),
            "BUSINESS_HOURS": self.business_hours,
            "RETENTION_BOT_HOURS": str(self.retention_bot_hours),
            "RETENTION_CLOSED_HOURS": str(self.retention_closed_hours),
            "MAX_CONNECTIONS_PER_CLIENT": str(self.max_connections_per_client),
            "OUTBOX_KEY": self.outbox_key,
            "TANDEM_DEMO": "1" if self.demo else "",
            "RASA_URLS": ",".join(self.rasa_urls),
            "BIND_HOST": self.bind_host,
            "ACTIONS_URL": self.actions_url,
            "GATEWAY_LISTEN_PORT": str(self.gateway_listen_port),
            "METRICS_TOKEN": self.metrics_token,
            "TICKET_SLA_HOURS": self.ticket_sla_hours,
            "INBOUND_MAIL_KEY": self.inbound_mail_key,
        }

    def rasa_endpoint_env(self) -> dict[str, str]:
        """What endpoints.yml reads besides Redis's place: derived values, so not in as_env."""
        return {
            "ACTIONS_URL": self.action_server_url,
            "TRACKER_EXPIRY_SECONDS": str(self.tracker_expiry_seconds),
        }

    def child_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for a child process: ours, overridden by these settings and ``extra``.

        Children rebuild the same ``Settings`` with ``from_env``, so a caller's
        settings (tests: ports, temporary database) reach every process.
        """
        return {**os.environ, **self.as_env(), **(extra or {})}


def local_origins(gateway_port: int) -> tuple[str, ...]:
    """The origins of a gateway reached on this machine: the default for local use."""
    return (f"http://localhost:{gateway_port}", f"http://127.0.0.1:{gateway_port}")
