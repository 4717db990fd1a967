"""The gateway's decisions: who owns a conversation, what is stored, who is told."""
