"""Tandem's custom actions: one module per task family, one client for the account backend.

The action server (``python -m actions.server``) imports every module here and
registers every concrete ``Action``.
"""
