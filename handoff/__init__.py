"""The handoff gateway: the one service browsers talk to (customers at `/`, agents at `/agent`).

``handoff.app.create_app`` wires it from settings; ``python -m handoff`` serves it on gevent.
This package imports nothing itself, so the server can patch the standard library for
gevent before any module opens a socket.
"""
