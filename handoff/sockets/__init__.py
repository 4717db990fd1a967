"""Socket.IO namespaces: customers at `/`, agents at `/agent`.

They check what a client sent and call the service; they decide nothing.
"""
