"""The pure parts of `python -m bot evaluate`: reading sets, robustness copies, scoring."""

from __future__ import annotations

import random
from pathlib import Path

from bot.evaluation import (
    FALLBACK,
    MAX_FALSE_TASKS,
    Line,
    SetScore,
    add_filler,
    change_case,
    confusion_lines,
    failures,
    gibberish,
    is_correct,
    read_lines,
    robustness_set,
    score,
    strip_punctuation,
    table,
    typo,
    variants,
)


def test_read_lines_strips_entity_annotations(tmp_path: Path) -> None:
    path = tmp_path / "set.yml"
    path.write_text(
        'version: "3.1"\n'
        "nlu:\n"
        "- intent: pay_bill\n"
        "  examples: |\n"
        "    - pay [$35](amount) now\n"
        '    - pay [everything]{"entity": "amount", "value": "full"}\n'
        "- regex: email\n"
        "  examples: |\n"
        "    - x@y\n"
        "- intent: greet\n"
        "  examples: |\n"
        "    - hi\n",
        encoding="utf-8",
    )
    assert read_lines(path) == [
        Line("pay $35 now", "pay_bill"),
        Line("pay everything", "pay_bill"),
        Line("hi", "greet"),
    ]


def test_variants_are_the_same_on_every_run_and_differ_from_the_line() -> None:
    line = Line("I can't remember my password, can you help?", "reset_password")
    first, second = variants(line), variants(line)
    assert first == second
    assert 1 <= len(first) <= 4
    assert all(v.intent == "reset_password" and v.text != line.text for v in first)
    assert len({v.text for v in first}) == len(first)


def test_typo_changes_one_long_word_by_one_slip() -> None:
    for seed in range(50):
        changed = typo("please reset my password", random.Random(seed))
        before, after = ["please", "reset", "my", "password"], changed.split()
        diff = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
        assert len(diff) <= 1
        for b, a in diff:
            assert len(b) >= 4 and abs(len(a) - len(b)) <= 1
            assert a[0] == b[0]


def test_a_neighbour_key_is_never_the_key_itself() -> None:
    for seed in range(200):
        assert typo("qaza", random.Random(seed)) != "qaza"


def test_typo_leaves_lines_without_long_words_alone() -> None:
    assert typo("no ty", random.Random(1)) == "no ty"


def test_case_lowers_or_shouts() -> None:
    assert change_case("Reset My Password", random.Random(0)) == "reset my password"
    assert change_case("pay my bill", random.Random(0)) == "PAY MY BILL"


def test_punctuation_goes_but_emails_and_amounts_stay() -> None:
    text = "Hi! I'd like to pay $35.50, my email is dana@example.com."
    assert strip_punctuation(text, random.Random(0)) == (
        "Hi Id like to pay $35.50 my email is dana@example.com"
    )
    assert strip_punctuation("?!", random.Random(0)) == "?!"


def test_filler_keeps_short_replies_short() -> None:
    for seed in range(30):
        said = add_filler("no", "deny", random.Random(seed))
        assert said.endswith(" no") and said.split()[0] in {"um", "uh", "so"}
    fillers = {add_filler("pay my bill.", "pay_bill", random.Random(s)) for s in range(30)}
    assert any(f.startswith("hi, ") for f in fillers)
    assert "pay my bill pls" in fillers


def test_robustness_set_keeps_each_lines_intent() -> None:
    lines = [Line("what's my balance?", "check_balance"), Line("Bye!", "goodbye")]
    derived = robustness_set(lines)
    assert {v.intent for v in derived} == {"check_balance", "goodbye"}
    assert len(derived) <= 8


def test_gibberish_has_a_very_long_input_and_no_spaces_at_the_ends() -> None:
    lines = gibberish()
    assert any(len(line.text) >= 5000 for line in lines)
    assert all(line.text == line.text.strip() and line.intent == "out_of_scope" for line in lines)


def test_falling_back_is_right_for_out_of_scope_only() -> None:
    assert is_correct("out_of_scope", FALLBACK)
    assert is_correct("out_of_scope", "out_of_scope")
    assert not is_correct("pay_bill", FALLBACK)
    assert not is_correct("out_of_scope", "greet")


def _scored() -> SetScore:
    lines = [
        Line("a", "pay_bill"),
        Line("b", "pay_bill"),
        Line("c", "check_balance"),
        Line("d", "out_of_scope"),
        Line("e", "out_of_scope"),
        Line("f", "out_of_scope"),
        Line("g", "out_of_scope"),
    ]
    predicted = {
        "a": "pay_bill",
        "b": "check_balance",
        "c": FALLBACK,
        "d": FALLBACK,
        "e": "reset_password",
        "f": "greet",
        "g": "out_of_scope",
    }
    return score("set", lines, predicted)


def test_score_per_intent_macro_and_false_tasks() -> None:
    s = _scored()
    assert s.accuracy == {"check_balance": 0.0, "out_of_scope": 0.5, "pay_bill": 0.5}
    assert abs(s.macro_accuracy - 1 / 3) < 1e-9
    # "greet" is a wrong answer but starts no task; "reset_password" does.
    assert (s.false_tasks, s.out_of_scope_lines) == (1, 4)
    assert s.false_task_rate == 0.25
    assert s.fallbacks == 1
    assert s.task_confusion() == [("pay_bill", "check_balance", 1)]


def test_report_shows_figures_never_lines() -> None:
    s = _scored()
    text = table([s]) + confusion_lines(s) + str(s.to_dict())
    assert "pay_bill -> check_balance (1)" in text
    assert "25.0% (1/4)" in text
    for line in "abcdefg":
        assert f"'{line}'" not in text and f'"{line}"' not in text


def test_failures_name_the_bar_and_what_to_do() -> None:
    bad = _scored()
    noise = score("gibberish", [Line("zzz", "out_of_scope")], {"zzz": "thank"})
    found = failures(bad, noise)
    assert len(found) == 3
    assert "below 0.9" in found[0] and "data/nlu/" in found[0]
    assert f"at most {MAX_FALSE_TASKS:.0%}" in found[1]
    assert found[2].startswith(
        "1 gibberish or very long inputs got an intent instead of falling back (thank (1)), so "
        "the bot would answer nonsense as if it meant that."
    )
    good = score("set", [Line("a", "greet")], {"a": "greet"})
    fine = score("gibberish", [Line("zzz", "out_of_scope")], {"zzz": FALLBACK})
    assert failures(good, fine) == []
