"""Retraining happens only when the model's inputs change."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.training import fingerprint, fingerprint_path, model_path, train_if_needed
from core.settings import Settings


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "config.yml").write_text("recipe: default.v1\n")
    (tmp_path / "domain.yml").write_text("version: '3.1'\n")
    for name in ["nlu/general.yml", "rules/general.yml", "demo/customers.yml"]:
        path = tmp_path / "data" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n")
    return tmp_path


@pytest.mark.parametrize("changed", ["config.yml", "domain.yml", "data/nlu/general.yml"])
def test_inputs_change_the_fingerprint(project: Path, changed: str) -> None:
    before = fingerprint(project)
    (project / changed).write_text("changed\n")
    assert fingerprint(project) != before


def test_a_new_data_file_changes_the_fingerprint(project: Path) -> None:
    before = fingerprint(project)
    (project / "data" / "stories").mkdir()
    (project / "data" / "stories" / "tasks.yml").write_text("stories: []\n")
    assert fingerprint(project) != before


@pytest.mark.parametrize("ignored", ["data/demo/customers.yml", "data/nlu/.general.yml.swp"])
def test_demo_data_and_hidden_files_do_not_count(project: Path, ignored: str) -> None:
    before = fingerprint(project)
    (project / ignored).write_text("changed\n")
    assert fingerprint(project) == before


def test_up_to_date_model_is_not_retrained(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = model_path(project)
    model.parent.mkdir()
    model.write_bytes(b"model")
    fingerprint_path(project).write_text(fingerprint(project))
    settings = dataclasses.replace(Settings.from_env({}), root=project)
    assert train_if_needed(settings) == model
    assert "up to date" in capsys.readouterr().out
