"""Redis stores, each owning its keys and commands.

Conversations (the state machine), transcripts, the queue, presence and daily counts.
"""
