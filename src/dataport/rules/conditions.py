"""The condition language of rule packs: facts compared with values, combined with all/any/not.

A condition is a YAML mapping. Each key is a fact name (compared for equality with a plain
value, or with an operator mapping such as ``{gte: 100000}``) or a combinator: ``all`` and
``any`` take a list of conditions, ``not`` takes one. Keys of one mapping must all hold.
Conditions are compiled once, when a pack loads, so a misspelt fact or operator is an error in
the pack, not a silent false at decision time. A fact that is unknown (``None``) makes its
comparison false and says so in the explanation.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Facts = Mapping[str, Any]

_OPERATORS: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    "eq": ("=", operator.eq),
    "ne": ("≠", operator.ne),
    "gt": (">", operator.gt),
    "gte": ("≥", operator.ge),
    "lt": ("<", operator.lt),
    "lte": ("≤", operator.le),
    "in": ("∈", lambda value, options: value in options),
    "not_in": ("∉", lambda value, options: value not in options),
}


class ConditionError(ValueError):
    """A condition in a pack that cannot be compiled; the message names where."""


@dataclass(frozen=True)
class Outcome:
    holds: bool
    because: str


class Condition:
    def evaluate(self, facts: Facts) -> Outcome:
        raise NotImplementedError


@dataclass(frozen=True)
class Compare(Condition):
    fact: str
    op: str
    value: Any

    def evaluate(self, facts: Facts) -> Outcome:
        actual = facts.get(self.fact)
        symbol, test = _OPERATORS[self.op]
        if actual is None:
            return Outcome(False, f"{self.fact} unknown")
        holds = bool(test(actual, self.value))
        return Outcome(holds, f"{self.fact}={_show(actual)} {symbol} {_show(self.value)}")


@dataclass(frozen=True)
class All(Condition):
    parts: tuple[Condition, ...]

    def evaluate(self, facts: Facts) -> Outcome:
        outcomes = [part.evaluate(facts) for part in self.parts]
        failed = [o for o in outcomes if not o.holds]
        if failed:
            return Outcome(False, "; ".join(o.because for o in failed))
        return Outcome(True, "; ".join(o.because for o in outcomes))


@dataclass(frozen=True)
class Any_(Condition):  # noqa: N801 - "Any" is taken by typing
    parts: tuple[Condition, ...]

    def evaluate(self, facts: Facts) -> Outcome:
        outcomes = [part.evaluate(facts) for part in self.parts]
        held = [o for o in outcomes if o.holds]
        if held:
            return Outcome(True, " or ".join(o.because for o in held))
        return Outcome(False, "none of: " + " | ".join(o.because for o in outcomes))


@dataclass(frozen=True)
class Not(Condition):
    part: Condition

    def evaluate(self, facts: Facts) -> Outcome:
        inner = self.part.evaluate(facts)
        return Outcome(not inner.holds, f"not ({inner.because})")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def compile_condition(spec: Any, facts: Sequence[str], where: str) -> Condition:
    """Compile ``spec`` (a mapping from YAML) allowing only the named ``facts``."""
    if not isinstance(spec, Mapping) or not spec:
        raise ConditionError(f"{where}: a condition must be a non-empty mapping")
    parts: list[Condition] = []
    for key, value in spec.items():
        here = f"{where}.{key}"
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ConditionError(f"{here}: expects a non-empty list of conditions")
            children = tuple(
                compile_condition(v, facts, f"{here}[{i}]") for i, v in enumerate(value)
            )
            parts.append(All(children) if key == "all" else Any_(children))
        elif key == "not":
            parts.append(Not(compile_condition(value, facts, here)))
        elif key in facts:
            parts.extend(_comparisons(key, value, here))
        else:
            raise ConditionError(f"{here}: unknown fact {key!r}; known facts: {', '.join(facts)}")
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _comparisons(fact: str, value: Any, where: str) -> list[Condition]:
    if not isinstance(value, Mapping):
        return [Compare(fact, "eq", value)]
    if not value:
        raise ConditionError(f"{where}: an empty operator mapping")
    out: list[Condition] = []
    for op, operand in value.items():
        if op not in _OPERATORS:
            raise ConditionError(
                f"{where}: unknown operator {op!r}; known: {', '.join(_OPERATORS)}"
            )
        if op in ("in", "not_in") and not isinstance(operand, list):
            raise ConditionError(f"{where}.{op}: expects a list")
        out.append(Compare(fact, op, tuple(operand) if isinstance(operand, list) else operand))
    return out
