"""What more than one Tandem service uses: settings, card masking, service tokens, SQL, mail.

The bottom layer: it imports nothing else of the project, and ``bot/``, ``actions/``
and ``handoff/`` may all import it.
"""
