"""Soak run: the multi-process stack under mixed load for a long time, with faults on a schedule.

``make bench-soak MINUTES=30`` (or ``python -m bench.soak --minutes 30``) starts the stack of
``python -m bot run --gateways 2 --rasa 2`` on free ports, with a private PostgreSQL, and runs
customers and agents (``bench/soak/load.py``) while a fault (``bench/soak/faults.py``) is
injected every few minutes and every process's memory is sampled. It prints its progress, then
writes the "Soak" section of docs/reliability.md, the raw figures to reports/soak.json and the
services' logs to reports/soak-logs/.
Not part of `make test`: it is long, and its figures are measurements, not pass or fail.
"""

from __future__ import annotations

import argparse
import dataclasses
import faulthandler
import json
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from cryptography.fernet import Fernet

from bench import write_section
from bench.soak.faults import Injected, Memory, inject, sample
from bench.soak.load import Counts, count_consoles, customers
from bench.soak.people import Console
from bot.postgres import EmbeddedPostgres
from bot.stack import Stack, private_settings
from bot.training import model_path
from core.settings import ROOT, Settings
from tests.clusters import new_login

REPORT = ROOT / "docs" / "reliability.md"
RAW = ROOT / "reports" / "soak.json"
LOGS = ROOT / "reports" / "soak-logs"
# Customers still in a conversation when the time is up get this long to finish it.
FINISH_WITHIN = 240.0


@dataclasses.dataclass
class Options:
    minutes: float
    bot_customers: int
    human_customers: int
    agents: int
    fault_every: float
    sample_every: float


def run(options: Options) -> dict:
    """The soak on a new stack; its raw figures."""
    settings = Settings.from_env()
    model = model_path(settings.root)  # `make bench-soak` trains it first
    with tempfile.TemporaryDirectory(prefix="tandem-soak-") as tmp:
        var = Path(tmp)
        with EmbeddedPostgres(var / "postgres.log") as database:
            settings = dataclasses.replace(
                private_settings(settings, var),
                database_url=database.url,
                outbox_key=Fernet.generate_key().decode(),
                max_connections_per_client=1000,  # every simulated person is on 127.0.0.1
            )
            with Stack(settings, model, var_dir=var, gateways=2, rasa_servers=2) as stack:
                raw = soak(stack, options)
                # The services' logs, to look up what went wrong: the folder goes with the stack.
                shutil.copytree(stack.log_dir, LOGS, dirs_exist_ok=True)
                return raw


def soak(stack: Stack, options: Options) -> dict:
    started = time.monotonic()
    counts, injected, memory = Counts(), Injected(), Memory()
    stop_load, stop_faults, stop_consoles = (threading.Event() for _ in range(3))
    consoles = [Console(stack, new_login(stack)) for _ in range(options.agents)]
    for console in consoles:
        console.open()
    threads = {
        "consoles": [
            threading.Thread(target=console.run, args=(stop_consoles,), daemon=True)
            for console in consoles
        ],
        "customers": [
            threading.Thread(target=customers, args=(stack, counts, stop_load, human), daemon=True)
            for human in [False] * options.bot_customers + [True] * options.human_customers
        ],
        "faults": [
            threading.Thread(
                target=inject,
                args=(stack, options.fault_every, stop_faults, injected, started),
                daemon=True,
            )
        ],
        "memory": [
            threading.Thread(
                target=sample,
                args=(stack, options.sample_every, stop_consoles, memory, started),
                daemon=True,
            )
        ],
    }
    for group in threads.values():
        for thread in group:
            thread.start()
    end = started + options.minutes * 60
    while time.monotonic() < end:
        time.sleep(min(30.0, max(0.0, end - time.monotonic())))
        progress(started, counts, injected, memory)
    loaded = time.monotonic() - started
    stop_faults.set()
    stop_load.set()
    finish_by = time.monotonic() + FINISH_WITHIN
    for thread in threads["faults"] + threads["customers"]:
        thread.join(max(0.0, finish_by - time.monotonic()))
    time.sleep(3.0)  # the consoles hear the last lines
    stop_consoles.set()
    for thread in threads["consoles"] + threads["memory"]:
        thread.join(30)
    count_consoles(consoles, counts)
    return {
        "minutes": loaded / 60,
        "finished after minutes": (time.monotonic() - started) / 60,
        "options": dataclasses.asdict(options),
        "conversations": {"bot": counts.bot_conversations, "human": counts.human_conversations},
        "reconnects": counts.reconnects,
        "refusals": counts.refusals,
        "problems": counts.problems,
        "lines": {t.name: {**t.counts(), "note": t.note} for t in counts.tallies()},
        "lost": {t.name: lost(t.sent, t.received) for t in counts.tallies()},
        "duplicated": {t.name: twice(t.received) for t in counts.tallies()},
        "faults": injected.done,
        "restarts": stack.restarts(),
        "memory": {name: memory.summary(name) for name in memory.samples},
        "samples": memory.samples,
    }


def lost(sent: list[str], received: list[str]) -> list[str]:
    """The lines sent and never received, to look for in the logs."""
    got = set(received)
    return [line for line in sent if line not in got]


def twice(received: list[str]) -> list[str]:
    """The lines received at more than one place of a transcript."""
    return sorted(line for line, copies in Counter(received).items() if copies > 1)


def progress(started: float, counts: Counts, injected: Injected, memory: Memory) -> None:
    minutes = (time.monotonic() - started) / 60
    with counts.lock:
        lines = ", ".join(
            f"{t.name} {len(t.sent)}" for t in (counts.stored, counts.turns, counts.to_agent)
        )
        conversations = counts.bot_conversations + counts.human_conversations
    rss = ", ".join(
        f"{name} {samples[-1][2] / 2**20:.0f}" for name, samples in sorted(memory.samples.items())
    )
    last = injected.done[-1][1] if injected.done else "none yet"
    print(
        f"soak {minutes:5.1f} min: {conversations} conversations done; {lines}; "
        f"{len(injected.done)} faults (last: {last}); RSS MB: {rss}",
        flush=True,
    )


def table(raw: dict) -> str:
    """The Soak section: what ran, the lines counted, the faults, memory per process."""
    minutes = raw["minutes"]
    conversations = raw["conversations"]
    hourly = 60 / minutes
    lines = [
        f"`make bench-soak MINUTES={raw['options']['minutes']:g}` on this 2-core machine: the "
        f"stack of `bot run --gateways 2 --rasa 2` on PostgreSQL, {minutes:.1f} minutes of load "
        f"(and {raw['finished after minutes'] - minutes:.1f} for the last conversations to end); "
        f"{raw['options']['bot_customers']} customers at a time doing a task with the bot, "
        f"{raw['options']['human_customers']} chatting with {raw['options']['agents']} agents' "
        f"consoles; a fault every {raw['options']['fault_every']:.0f} s.",
        "",
        f"Conversations: {conversations['bot']} with the bot, {conversations['human']} with an "
        f"agent ({(conversations['bot'] + conversations['human']) * hourly:.0f} an hour); "
        f"sockets reopened after a drop or a fault: {raw['reconnects']}; commands refused and "
        f"sent again: {raw['refusals']}; conversations that went wrong: "
        f"{len(raw['problems'])} (below the tables).",
        "",
        "| Lines | Sent | Delivered | Lost | Duplicated |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, c in raw["lines"].items():
        lines.append(
            f"| {name} | {c['sent']} | {c['delivered']} | {c['lost']} | {c['duplicated']} |"
        )
    faults: dict[str, list[float]] = {}
    for _, name, recovery in raw["faults"]:
        faults.setdefault(name, []).append(recovery)
    lines += ["", "| Fault | Times | Back within (max) |", "|---|---:|---:|"]
    for name, recoveries in faults.items():
        lines.append(f"| {name} | {len(recoveries)} | {max(recoveries):.1f} s |")
    lines += [
        "",
        "| Process | RSS start | peak | end | growth per hour | lives |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, m in sorted(raw["memory"].items()):
        lines.append(
            f"| {name} | {m['start']:.0f} MB | {m['peak']:.0f} MB | {m['end']:.0f} MB "
            f"| {m['growth']:+.0f} MB | {m['lives']} |"
        )
    lines += [
        "",
        "Growth per hour: the slope of the process's longest life from its second minute on (a "
        "restarted process starts again from nothing, then loads); lives: how many processes "
        "the stack ran under that name.",
    ]
    if raw["problems"]:
        lines += ["", "Conversations that went wrong:", ""]
        lines += [
            f"- {p.get('at', '')} `{p.get('conversation', '')}`: {p['what']}"
            for p in raw["problems"]
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--bot-customers", type=int, default=3, help="at a time")
    parser.add_argument("--human-customers", type=int, default=4, help="at a time")
    parser.add_argument("--agents", type=int, default=3, help="consoles, 3 chats each")
    parser.add_argument("--fault-every", type=float, default=120.0, help="seconds")
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>`: where every thread is
    raw = run(
        Options(
            args.minutes,
            args.bot_customers,
            args.human_customers,
            args.agents,
            args.fault_every,
            args.sample_every,
        )
    )
    text = table(raw)
    print(text)
    RAW.parent.mkdir(exist_ok=True)
    RAW.write_text(json.dumps(raw, indent=1))
    print(f"Raw figures: {RAW}")
    if not args.no_write:
        write_section("Soak", text, REPORT)
        print(f"Wrote the Soak section of {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
