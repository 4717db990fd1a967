"""Tandem's command line and glue: settings, training, and starting the stack."""
