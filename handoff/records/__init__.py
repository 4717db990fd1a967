"""SQL records of the gateway.

Agent accounts, the archive of ended chats and tickets, and canned responses.
"""
