"""Load benchmark: Locust's customers and agents on private stacks, configurations side by side.

For each configuration (gateways x Rasa servers) it starts a private stack on free ports of
127.0.0.1, runs the scenarios for a bounded time with bounded users, and then writes one table
per scenario, a column per configuration, to the "Load" section of docs/performance.md. Every
simulated client comes from 127.0.0.1, so the stack's MAX_CONNECTIONS_PER_CLIENT is raised to
fit them; the per-socket and per-conversation flood limits stay, and the users pace themselves.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench import write_section
from bench.load.locust import LoadError, check_locust
from bench.load.report import render
from bench.load.scenarios import (
    AGENT_PASSWORD,
    Load,
    Outcome,
    bot_conversations,
    escalations,
    idle_sockets,
)
from bot.stack import Stack, StackError, private_settings
from bot.training import train_if_needed
from core.settings import ROOT, Settings
from handoff.records.agents import AgentDirectory

SCENARIOS = ("bot", "escalation", "idle")
STARTED = time.monotonic()

Config = tuple[int, int]


def say(line: str) -> None:
    """A progress line, with the minutes since the benchmark started."""
    minutes, seconds = divmod(int(time.monotonic() - STARTED), 60)
    print(f"[{minutes:3d}:{seconds:02d}] {line}", flush=True)


def parse_configs(text: str) -> list[Config]:
    """ "1x1,1x2,2x2" -> [(1, 1), (1, 2), (2, 2)]: gateways x Rasa servers."""
    configs = []
    for item in text.split(","):
        try:
            gateways, rasa = (int(part) for part in item.strip().lower().split("x"))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{item!r}: write a configuration as GATEWAYSxRASA, e.g. 1x2"
            ) from None
        if gateways < 1 or rasa < 1:
            raise argparse.ArgumentTypeError(f"{item!r}: at least one of each")
        configs.append((gateways, rasa))
    return configs


def add_agents(settings: Settings, count: int) -> list[str]:
    directory = AgentDirectory(settings.database_url)
    logins = [f"load-agent-{n}" for n in range(1, count + 1)]
    for n, login in enumerate(logins, 1):
        directory.add(login, f"Load Agent {n}", AGENT_PASSWORD, capacity=3)
    return logins


def run_config(
    config: Config, scenarios: list[str], load: Load, model: Path, out: Path
) -> dict[str, Outcome]:
    """Every scenario asked for, on one new private stack of this configuration."""
    name = f"{config[0]}x{config[1]}"
    with tempfile.TemporaryDirectory(prefix="tandem-load-") as tmp:
        var = Path(tmp)
        settings = dataclasses.replace(
            private_settings(Settings.from_env(), var),
            # All load comes from 127.0.0.1: one client address to the gateway.
            max_connections_per_client=load.idle + load.users + 2 * load.escalating + 100,
        )
        say(f"{name}: starting the stack ({config[0]} gateway(s), {config[1]} Rasa server(s))")
        with Stack(
            settings, model, var_dir=var, gateways=config[0], rasa_servers=config[1]
        ) as stack:
            logins = add_agents(settings, load.agents)
            results: dict[str, Outcome] = {}
            for scenario in scenarios:
                if scenario == "idle" and config[0] != 1:
                    continue  # sockets one gateway holds: measured on single-gateway configs
                say(f"{name}: scenario {scenario} ({_scenario_size(scenario, load)})")
                target = out / name / scenario
                if scenario == "bot":
                    results[scenario] = bot_conversations(stack, load, target)
                elif scenario == "escalation":
                    results[scenario] = escalations(stack, logins, load, target)
                else:
                    results[scenario] = idle_sockets(stack, load, target, say)
                outcome = results[scenario]
                say(
                    f"{name}: scenario {scenario} done: {outcome.events} events, "
                    f"{outcome.errors} failed"
                )
        return results


def _scenario_size(scenario: str, load: Load) -> str:
    if scenario == "bot":
        return f"{load.users} bot customers, {load.duration} s"
    if scenario == "escalation":
        return (
            f"{load.escalating} escalating customers, {load.agents} agents, "
            f"{load.users} bot customers, {load.duration} s"
        )
    return f"{load.idle} idle sockets at {load.idle_spawn_rate:g}/s, then {load.duration} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--configs",
        type=parse_configs,
        default=parse_configs("1x1,1x2,2x2"),
        help="gateways x Rasa servers, comma-separated (default 1x1,1x2,2x2)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, of {', '.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument("--duration", type=int, default=300, help="seconds per scenario")
    parser.add_argument("--users", type=int, default=50, help="bot customers at once")
    parser.add_argument(
        "--escalating",
        type=int,
        default=10,
        help="customers asking for a person at once (scenario escalation)",
    )
    parser.add_argument("--agents", type=int, default=5, help="agents, 3 chats each")
    parser.add_argument("--idle", type=int, default=10_000, help="idle customer sockets")
    parser.add_argument("--spawn-rate", type=float, default=5, help="new users a second")
    parser.add_argument(
        "--idle-spawn-rate", type=float, default=100, help="new idle sockets a second"
    )
    parser.add_argument(
        "--think", type=float, default=1.5, help="a person's mean pause between lines, seconds"
    )
    parser.add_argument("--label", default="", help="a line saying what kind of run this is")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = sorted(set(scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {SCENARIOS}")
    if args.agents * 3 < args.escalating and "escalation" in scenarios:
        parser.error("--agents x 3 chats must cover --escalating, or customers only queue")
    load = Load(
        args.duration,
        args.users,
        args.escalating,
        args.agents,
        args.idle,
        args.spawn_rate,
        args.idle_spawn_rate,
        args.think,
    )
    try:
        check_locust()
        say("checking the model (training if config.yml, domain.yml or data/ changed)")
        model = train_if_needed(Settings.from_env())
        out = ROOT / "results" / "load"
        results: dict[str, dict[str, Outcome]] = {}
        for config in args.configs:
            results[f"{config[0]}x{config[1]}"] = run_config(config, scenarios, load, model, out)
    except (LoadError, StackError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    text = render(results, load, _context(args, out))
    print(text)
    if not args.no_write:
        write_section("Load", text)
        say("wrote the Load section of docs/performance.md")
    return 0


def _context(args: Any, out: Path) -> str:
    label = f"**{args.label}** " if args.label else ""
    return (
        f"{label}On {platform.machine()}, Python {platform.python_version()}, {date.today()} "
        f"(`python -m bench.load`; Locust's CSVs and logs in `{out.relative_to(ROOT)}/`)."
    )


if __name__ == "__main__":
    sys.exit(main())
