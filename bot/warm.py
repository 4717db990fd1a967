"""A warm private stack for test-bot: started once, reused by every run while it lives.

Starting the stack takes most of a minute (Rasa loads its model); an editor
rerunning one conversation test should not wait for that each time.
`python -m bot warm` starts the same private stack test-bot uses (free ports, its
own Redis and database, in var/warm/), writes how to reach it to
var/warm/stack.json (readable by its owner only: it holds the stack's tokens),
and runs until Ctrl-C. `python -m bot test-bot` finds it there and plays its tests
through it; when the model was retrained since, it first asks the running Rasa
to load the new one, which takes seconds.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import requests

from bot.stack import Stack, StackError, private_settings
from bot.training import fingerprint, train_if_needed
from core.settings import Settings

VAR = Path("var/warm")
STATE = VAR / "stack.json"
# Loading a model into a running Rasa: most of this is TensorFlow building its graphs.
LOAD_TIMEOUT = 180.0


def test_settings(settings: Settings, var: Path) -> Settings:
    """The private stack's settings: free ports, new secrets, and agents always on duty."""
    return dataclasses.replace(private_settings(settings, var), business_hours="always")


def serve(settings: Settings) -> None:
    """`python -m bot warm`: train if needed, start the stack, say where it is, keep it up."""
    model = train_if_needed(settings)
    var = settings.root / VAR
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    private = test_settings(settings, var)
    print("Starting a warm private stack for test-bot (logs in var/warm/logs/)...", flush=True)
    with Stack(private, model, var_dir=var) as stack:
        state = settings.root / STATE
        state.touch(mode=0o600)
        state.write_text(
            json.dumps(
                {"pid": os.getpid(), "model": fingerprint(settings.root), "env": private.as_env()}
            ),
            encoding="utf-8",
        )
        print(
            "Warm stack ready: `python -m bot test-bot` uses it while this runs, and loads a "
            "retrained model into it. Ctrl-C stops it.",
            flush=True,
        )
        try:
            stack.wait()
        finally:
            state.unlink(missing_ok=True)


def attach(settings: Settings, model: Path) -> Stack | None:
    """The warm stack, with ``model`` loaded, if `python -m bot warm` runs; else None.

    The Stack returned is a handle on services another process owns: never start it.
    """
    state = settings.root / STATE
    if not state.exists():
        return None
    saved = json.loads(state.read_text(encoding="utf-8"))
    try:
        os.kill(int(saved["pid"]), 0)
    except OSError:  # the warm process died without cleaning up
        state.unlink(missing_ok=True)
        return None
    private = dataclasses.replace(Settings.from_env(saved["env"]), root=settings.root)
    stack = Stack(private, model, var_dir=settings.root / VAR)
    current = fingerprint(settings.root)
    if saved["model"] != current:
        print("Loading the retrained model into the warm stack...", flush=True)
        load_model(stack, model)
        state.write_text(json.dumps({**saved, "model": current}), encoding="utf-8")
    return stack


def load_model(stack: Stack, model: Path) -> None:
    """Ask the running Rasa to replace its model with ``model`` (Rasa's `PUT /model`)."""
    response = requests.put(
        f"{stack.rasa_url}/model",
        params={"token": stack.settings.rasa_token},
        json={"model_file": str(model.resolve())},
        timeout=LOAD_TIMEOUT,
    )
    if response.status_code != 204:
        raise StackError(
            f"The warm stack's Rasa did not load {model.name} ({response.status_code}: "
            f"{response.text[:200]}); stop `python -m bot warm` and start it again."
        )
