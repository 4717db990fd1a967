"""The Load section of docs/performance.md: one table per scenario, a column per configuration."""

from __future__ import annotations

import math
from collections.abc import Callable

from bench.load.scenarios import Load, Outcome, summary_ms

Results = dict[str, dict[str, Outcome]]  # configuration -> scenario -> outcome
DAY = 86_400
MB = 2**20


def render(results: Results, load: Load, context: str) -> str:
    """Markdown for every scenario that ran in at least one configuration."""
    parts = [
        context,
        "",
        "Configurations are gateways x Rasa servers. Every client runs on the same machine as "
        "the stack and connects from 127.0.0.1, so `MAX_CONNECTIONS_PER_CLIENT` is raised to fit "
        "them; the per-socket (burst 10, then 2 events/s) and per-conversation (30 messages a "
        f"minute) flood limits stay, and simulated people pause about {load.think:g} s between "
        "lines. Latencies are Locust's (rounded to 2 significant digits above 100 ms).",
    ]
    parts += _bot(results, load)
    parts += _escalation(results, load)
    parts += _idle(results, load)
    parts += _redis(results)
    parts += _failures(results)
    return "\n".join(parts)


def _table(
    results: Results, scenario: str, rows: list[tuple[str, Callable[[Outcome], str]]]
) -> list[str]:
    configs = [name for name, outcomes in results.items() if scenario in outcomes]
    if not configs:
        return []
    lines = [
        "| | " + " | ".join(configs) + " |",
        "|---|" + "---|" * len(configs),
    ]
    for label, cell in rows:
        cells = (cell(results[name][scenario]) for name in configs)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0f} ms"


def _errors(outcome: Outcome) -> str:
    return f"{outcome.errors} of {outcome.events}"


def _bot(results: Results, load: Load) -> list[str]:
    def per_day(o: Outcome) -> str:
        return f"{o.finished('bot conversation') / o.seconds * DAY:,.0f}"

    table = _table(
        results,
        "bot",
        [
            ("conversations finished (failed)", lambda o: _count(o, "bot conversation")),
            ("conversations a day at this load (extrapolated)", per_day),
            ("turn p50", lambda o: _ms(o.row("bot turn").p50)),
            ("turn p95", lambda o: _ms(o.row("bot turn").p95)),
            ("turn p99", lambda o: _ms(o.row("bot turn").p99)),
            ("failed events (of all)", _errors),
        ],
    )
    return _section(
        "Bot conversations",
        f"{load.users} customers at once for {load.duration} s, each repeating a 6-turn "
        "balance check the bot completes alone; a turn is a line sent to the bot's first "
        "reply; no reply within 10 s, a wrong reply or any `error` fails it. The day's figure "
        "is what this many customers did: it grows with `--users` until the latencies do.",
        table,
    )


def _escalation(results: Results, load: Load) -> list[str]:
    table = _table(
        results,
        "escalation",
        [
            ("escalated chats finished (failed)", lambda o: _count(o, "escalated conversation")),
            ("asks for a person -> agent notified, p50", _p(50, "escalation → agent notified")),
            ("asks for a person -> agent notified, p95", _p(95, "escalation → agent notified")),
            ("relay agent -> customer, p95", _p(95, "relay agent→customer")),
            ("relay customer -> agent, p95", _p(95, "relay customer→agent")),
            ("bot turn beside them, p95", _p(95, "bot turn")),
            ("failed events (of all)", _errors),
        ],
    )
    return _section(
        "Escalations with agents, under bot load",
        f"{load.escalating} customers greet the bot, ask for a person and exchange 3 lines each "
        f"way with one of {load.agents} agents (3 chats each), who then closes the chat; beside "
        f"them {load.users} bot customers as above, for {load.duration} s. Notified: the "
        "customer's request sent to the agent's `assigned`.",
        table,
    )


def _idle(results: Results, load: Load) -> list[str]:
    def held(o: Outcome) -> str:
        return f"{o.extra['held']:,} of {load.idle:,} (in {o.extra['opened_s']:.0f} s)"

    def rss(o: Outcome) -> str:
        grown = (o.extra["rss"] - o.before.gateway_rss) / max(1, o.extra["held"])
        return (
            f"{o.before.gateway_rss / MB:.0f} -> {o.extra['rss'] / MB:.0f} MB "
            f"({grown / 1024:.0f} KB a socket)"
        )

    def probes(o: Outcome) -> str:
        count, failed = len(o.extra["probes"]), o.extra["probe_errors"]
        return f"{summary_ms(o.extra['probes'])} ({count} customers, {failed} failed)"

    table = _table(
        results,
        "idle",
        [
            ("idle customer sockets held", held),
            ("gateway RSS, before -> held", rss),
            ("gateway threads, held", lambda o: f"{o.extra['threads']:,}"),
            ("a new customer's first turn, p50 / p95", probes),
            ("failed socket events (of all)", _errors),
        ],
    )
    return _section(
        "Idle sockets on one gateway",
        "Customers open a conversation and then only answer the gateway's pings; while they "
        f"are held (then {load.duration} s), new customers, one at a time, time their first "
        "turn. Run on the configurations with one gateway.",
        table,
    )


def _redis(results: Results) -> list[str]:
    def growth(o: Outcome) -> str:
        per_hour = (o.after.redis_bytes - o.before.redis_bytes) / o.seconds * 3600
        before, after = o.before.redis_bytes / MB, o.after.redis_bytes / MB
        return f"{before:.1f} -> {after:.1f} MB ({per_hour / MB:+.1f} MB/h)"

    def kept(*names: str) -> Callable[[Outcome], str]:
        def cell(o: Outcome) -> str:
            finished = sum(o.finished(name) for name in names)
            if not finished:
                return "n/a"
            grown = (o.after.redis_bytes - o.before.redis_bytes) / finished
            keys = (o.after.redis_keys - o.before.redis_keys) / finished
            return f"{grown / 1024:.1f} KB, {keys:.1f} keys"

        return cell

    rows = _table(
        results,
        "bot",
        [
            ("bot load: used_memory, and growth an hour", growth),
            ("kept per finished bot conversation", kept("bot conversation")),
        ],
    )
    mixed = _table(
        results,
        "escalation",
        [
            ("with escalations: used_memory, and growth an hour", growth),
            (
                "kept per finished conversation (bot or escalated)",
                kept("bot conversation", "escalated conversation"),
            ),
        ],
    )
    return _section(
        "Redis memory under sustained load",
        "`INFO memory` used_memory and DBSIZE before and after each run (a fresh Redis per "
        "configuration); kept per conversation is the run's growth over the conversations "
        "finished in it. Conversations left with the bot are kept `RETENTION_BOT_HOURS` (24), "
        "closed ones `RETENTION_CLOSED_HOURS` (1), so memory grows at this rate until then.",
        rows + ([""] if rows and mixed else []) + mixed,
    )


def _failures(results: Results) -> list[str]:
    lines = [
        f"- {config}, {scenario}: {reason}"
        for config, outcomes in results.items()
        for scenario, outcome in outcomes.items()
        for reason in outcome.failures
    ]
    return _section("Most frequent failures", "", lines) if lines else []


def _section(title: str, text: str, table: list[str]) -> list[str]:
    if not table:
        return []
    return ["", f"### {title}", "", *([text, ""] if text else []), *table]


def _count(o: Outcome, name: str) -> str:
    return f"{o.finished(name)} ({o.row(name).failures})"


def _p(p: int, name: str) -> Callable[[Outcome], str]:
    def cell(o: Outcome) -> str:
        row = o.row(name)
        return _ms({50: row.p50, 95: row.p95, 99: row.p99}[p])

    return cell
