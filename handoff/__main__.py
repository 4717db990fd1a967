"""`python -m handoff`: serve one gateway process (the stack starts it for `make run`)."""

from __future__ import annotations


def main() -> None:
    """Patch the standard library for gevent first, then import and serve the gateway.

    The imports wait until the patch is in place: a module that took ``socket`` or
    ``threading`` before it would block every connection while it waits.
    """
    from gevent import monkey

    monkey.patch_all()
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()
    from handoff.server import run

    run()


if __name__ == "__main__":
    main()
