"""Scenarios (bot/scenarios.py, bot/scenario_report.py): the loader, the answers, the figures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.scenario_play import Played, same_words
from bot.scenario_report import section, summary, tallies, transcripts, turns_per_task
from bot.scenarios import Scenario, ScenarioError, Task, answer_for, load, load_all
from core.settings import ROOT

GOOD = """\
scenarios:
  - name: moves and pays
    customer: acc-1001
    tasks:
      - address_change: {street: 22 Maple St, city: Springfield, postal_code: "62704"}
      - bill_payment: 50
      - balance
    says:
      - "i moved"
      - 62704
    answers:
      identifier: dana
      phone: "4821"
      anything else: no thats all
"""


def write(folder: Path, text: str, name: str = "chats.yml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scenario_reads_with_its_tasks_lines_and_answers(tmp_path: Path) -> None:
    (scenario,) = load(write(tmp_path, GOOD), tmp_path, {"ACC-1001"})
    assert scenario.where == "chats.yml:2"
    assert scenario.customer == "ACC-1001"
    assert scenario.tasks == (
        Task(
            "address_change",
            {"street": "22 Maple St", "city": "Springfield", "postal_code": "62704"},
        ),
        Task("bill_payment", {"amount": "50.00"}),
        Task("balance"),
    )
    assert scenario.says == ("i moved", "62704")
    assert scenario.answers == {
        "identifier": "dana",
        "phone": "4821",
        "anything else": "no thats all",
    }
    assert scenario.turn_limit == 36


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("scenarios: [", 1, "not valid YAML"),
        ("conversations: []", 1, "no `scenarios:` list"),
        (GOOD.replace("acc-1001", "ACC-9999"), 2, "plays no demo customer"),
        (GOOD.replace("      - balance\n", "      - refund\n"), 2, "a task there is not"),
        (GOOD.replace("bill_payment: 50", "bill_payment: lots"), 2, "pays no amount"),
        (GOOD.replace(', postal_code: "62704"', ""), 2, "changes the address to nothing"),
        (GOOD.replace("      - balance\n", "      - balance: 5\n"), 2, "takes no value"),
        (GOOD.replace('      - "i moved"\n      - 62704\n', ""), 2, "says nothing"),
        (GOOD.replace('phone: "4821"', "phone: [4, 8]"), 2, "answers that are not lines"),
        ("scenarios:\n  - customer: ACC-1001\n", 2, "without a name"),
    ],
)
def test_a_malformed_scenario_says_where_and_what(
    tmp_path: Path, text: str, line: int, says: str
) -> None:
    with pytest.raises(ScenarioError) as error:
        load(write(tmp_path, text), tmp_path, {"ACC-1001"})
    assert error.value.problem.line == line
    assert says in error.value.problem.what


def test_two_scenarios_may_not_share_a_name(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yml")
    write(tmp_path, GOOD, "b.yml")
    with pytest.raises(ScenarioError, match="is taken at a.yml:2"):
        load_all(tmp_path, tmp_path)


def test_more_lines_than_turns_is_refused(tmp_path: Path) -> None:
    lines = "".join(f"      - line {n}\n" for n in range(13))
    text = (
        "scenarios:\n  - name: chatty\n    customer: ACC-1001\n    tasks: [balance]\n"
        f"    says:\n{lines}"
    )
    with pytest.raises(ScenarioError, match="more lines than its 12 turns"):
        load(write(tmp_path, text), tmp_path)


def test_the_project_s_scenarios_read() -> None:
    scenarios = load_all(ROOT / "tests" / "scenarios", ROOT)
    assert len(scenarios) >= 40


ANSWERS = {"identifier": "dana", "phone": "4821", "amount": "50", "address": "22 Maple St"}


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("What's the email address or username on your account?", "dana"),
        ("To confirm it's you, what are the last 4 digits of your phone?", "4821"),
        ("Please type just the last four digits, like 1234.", "4821"),
        ("How much would you like to pay?", "50"),
        ("What's the street of your new address?", "22 Maple St"),  # no street: the address
        ("Pay $50.00 with the Visa ending 4242. Is that right?", "yes"),
        ("Done. Anything else?", "no thats all"),
        ("Which city?", None),
    ],
)
def test_the_answer_is_chosen_by_what_the_bot_asks(question: str, answer: str | None) -> None:
    answers = {**ANSWERS, "confirm": "yes", "anything else": "no thats all"}
    assert answer_for(question, answers) == answer


def test_the_customer_answers_the_question_not_what_came_before() -> None:
    scenario = Scenario("s", "f.yml", 1, "ACC-1001", (Task("balance"),), ("hi",), ANSWERS)
    said = "Your balance is $120.50, due Dec 15. How much would you like to pay?"
    assert scenario.answer(said) == "50"
    # Confirmations are answered yes unless the scenario says otherwise.
    assert scenario.answer("I'll change it to 22 Maple St. Shall I go ahead?") == "yes"


def test_otherwise_restates_the_first_task_still_to_do(tmp_path: Path) -> None:
    text = GOOD.replace(
        "      anything else: no thats all\n",
        "      otherwise: {balance: 'and my balance?', bill_payment: i still want to pay 50}\n",
    )
    (scenario,) = load(write(tmp_path, text), tmp_path)
    assert scenario.otherwise == {
        "balance": "and my balance?",
        "bill_payment": "i still want to pay 50",
    }
    helping = "How can I help you today?"
    assert scenario.answer(helping, ["bill_payment", "balance"]) == "i still want to pay 50"
    assert scenario.answer(helping, ["balance"]) == "and my balance?"
    assert scenario.answer(helping, ["address_change"]) is None
    anyway = dataclasses.replace(scenario, otherwise={"": "hello?"})
    assert anyway.answer(helping, ["address_change"]) == "hello?"


def test_a_statement_is_not_taken_for_a_question() -> None:
    done = "Done! Your address is now 22 Maple St, Springfield, 62704. Your reference is ADR-1."
    assert answer_for(done, ANSWERS) is None
    assert answer_for("Please type just the 4 digits of your phone, like 1234.", ANSWERS) == "4821"


def test_a_phrase_of_the_customer_s_own_is_looked_for_in_the_whole_reply() -> None:
    answers = {**ANSWERS, "confirm": "yes", "651 gold": "no, its 615"}
    confirming = "I'll change your address to: 651 Gold Ave SW, 87102. Shall I save it?"
    assert answer_for(confirming, answers) == "no, its 615"


def test_addresses_compare_without_case_spaces_or_punctuation() -> None:
    assert same_words("22 maple st.", "22 Maple St")
    assert same_words("08540-1234", "08540-1234")
    assert not same_words("22 Maple St", "22 Maple Street")


def played(
    tasks: tuple[Task, ...],
    completed_at: tuple[int | None, ...],
    handed_off: bool = False,
    ended: str = "done",
) -> Played:
    scenario = Scenario("s", "f.yml", 1, "ACC-1001", tasks, ("hi",), {})
    return Played(scenario, completed_at, 9, handed_off, ended, last_words="Bye | now")


PAY, BALANCE, RESET = (
    Task("bill_payment", {"amount": "5.00"}),
    Task("balance"),
    Task("password_reset"),
)


def test_tasks_done_in_the_same_turn_share_its_turns() -> None:
    result = played((PAY, BALANCE, RESET), (4, 4, 7))
    assert turns_per_task(result) == [
        ("balance", 2.0),
        ("bill_payment", 2.0),
        ("password_reset", 3.0),
    ]


def test_the_figures_count_tasks_per_kind_turns_and_handoffs() -> None:
    results = [
        played((PAY, BALANCE), (3, None), ended="gave up after 24 turns"),
        played((PAY,), (5,)),
        played((Task("person"),), (2,), handed_off=True, ended="reached a person"),
    ]
    counts = tallies(results)
    assert (counts["bill_payment"].completed, counts["bill_payment"].asked) == (2, 2)
    assert counts["bill_payment"].mean_turns() == "4.0"
    assert counts["balance"].rate() == "0 of 1 (0 %)"
    assert counts["all"].rate() == "3 of 4 (75 %)"
    assert summary(results) == (
        "Scenarios: 3 played; tasks completed 3 of 4 (75 %) (bill_payment 2/2, balance 0/1, "
        "person 1/1); 3.3 turns per completed task; a person took 1 of 3 chats (33 %)."
    )
    report = "\n\n".join(section(results))
    assert "| all | 3 of 4 (75 %) | 3.3 |" in report
    assert "| s (f.yml:1) | 1/2 | 3 | gave up after 24 turns | Bye \\| now |" in report


def test_the_transcripts_show_who_said_what() -> None:
    result = dataclasses.replace(
        played((BALANCE,), (None,), ended="gave up after 12 turns"),
        transcript=(("customer", "whats my\nbalance"), ("bot", "Who are you?")),
    )
    assert transcripts([result]) == (
        "# Scenario transcripts\n\n## s (f.yml:1)\n\n"
        "- **customer**: whats my balance\n- **bot**: Who are you?\n\n"
        "0/1 tasks done; gave up after 12 turns.\n"
    )
