"""The Content-Security-Policy of the pages the gateway serves (the demo site, the console).

Only the gateway's own scripts, styles and images run, and sockets go back to it: text a
customer wrote can never become a script, even if a page had a bug that rendered it.
"""

from __future__ import annotations


def content_security_policy(host: str, forms: str) -> str:
    """The policy for a page served to ``host``; ``forms`` is where its forms may post."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            f"connect-src 'self' ws://{host} wss://{host}",
            "base-uri 'none'",
            f"form-action {forms}",
            "frame-ancestors 'none'",
        ]
    )
