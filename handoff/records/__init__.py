"""SQL records of the gateway.

Agent accounts, the archive of ended chats, tickets, canned responses, reviews and reports.
"""
