"""The condition language of rule packs."""

from __future__ import annotations

import pytest

from dataport.rules.conditions import ConditionError, compile_condition

FACTS = ("a", "b", "name")


def holds(spec: dict[str, object], **facts: object) -> bool:
    return compile_condition(spec, FACTS, "test").evaluate(facts).holds


def test_comparisons_and_combinators() -> None:
    assert holds({"a": 1}, a=1)
    assert not holds({"a": 1}, a=2)
    assert holds({"a": {"gte": 10, "lt": 20}}, a=10)
    assert not holds({"a": {"gte": 10, "lt": 20}}, a=20)
    assert holds({"any": [{"a": 1}, {"b": 2}]}, a=0, b=2)
    assert not holds({"all": [{"a": 1}, {"b": 2}]}, a=1, b=0)
    assert holds({"not": {"a": 1}}, a=2)
    assert holds({"name": {"in": ["x", "y"]}}, name="y")
    assert holds({"name": {"not_in": ["x"]}}, name="y")


def test_unknown_facts_are_false_and_say_so() -> None:
    outcome = compile_condition({"a": {"gte": 1}}, FACTS, "t").evaluate({"a": None})
    assert not outcome.holds
    assert "unknown" in outcome.because


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "non-empty mapping"),
        ({"c": 1}, "unknown fact 'c'"),
        ({"a": {"approx": 1}}, "unknown operator"),
        ({"any": []}, "non-empty list"),
        ({"a": {"in": 3}}, "expects a list"),
    ],
)
def test_bad_conditions_name_where(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        compile_condition(spec, FACTS, "rules.x.when")
