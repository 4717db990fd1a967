"""The soak run (``make bench-soak``): long mixed load on the multi-process stack, with faults."""
