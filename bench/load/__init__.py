"""Load benchmark with Locust: many customers and agents at once, configurations side by side.

``python -m bench.load`` (``make bench-load``) runs in the product's venv and starts Locust
from ``.venv-bench`` on ``locustfile.py``, which imports nothing from the project.
"""
