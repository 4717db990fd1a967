"""`make test` on a machine without Chromium stops at once with the command that installs it."""

from __future__ import annotations

import subprocess

from core.settings import ROOT


def test_without_chromium_make_says_how_to_install_it() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "chromium", "CHROMIUM=/nowhere/chromium"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "sudo apt-get install -y chromium" in result.stderr
