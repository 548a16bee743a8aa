"""Grading rule packs: versioned YAML that maps what a scan found to a level, with citations.

A pack lists its levels (lowest first), column rules (categories found, their PIPL status, or
column-name words → a level, and optionally a flag), the levels a declared important-data or
core-data catalogue entry gives, and dataset rules on facts such as how many individuals the
data covers. A column takes the highest level of the rules that fire; a dataset the highest of
its columns (``aggregate: max``). Packs are validated when loaded: every citation and level a
rule names must exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dataport.classify.column import ColumnScan
from dataport.classify.detectors.base import Sensitivity, Vocabulary
from dataport.errors import InvalidInput
from dataport.rules.pack import Citation, RulePackError, Text
from dataport.yamlfile import parse_yaml

#: The pack used when none is named and the dataset's sector selects none.
DEFAULT_PACK = "cn-baseline"
#: Flags a rule may raise; only a declared catalogue makes data important.
Flag = Literal["important_candidate"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    zh: str
    en: str
    description: Text
    cite: tuple[str, ...] = ()


class ColumnNames(_Strict):
    zh: tuple[str, ...] = ()
    latin: tuple[str, ...] = ()

    def vocabulary(self) -> Vocabulary:
        return Vocabulary(zh=self.zh, latin=self.latin)


class ColumnCondition(_Strict):
    """All given parts must hold: any of ``categories``, any hit of ``sensitivity``, a name."""

    categories: tuple[str, ...] = ()
    sensitivity: Literal["personal", "sensitive"] | None = None
    column_names: ColumnNames | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> ColumnCondition:
        if not (self.categories or self.sensitivity or self.column_names):
            raise ValueError("a condition needs categories, sensitivity or column_names")
        return self


class ColumnRule(_Strict):
    id: str
    when: ColumnCondition
    level: str | None = None
    flag: Flag | None = None
    cite: tuple[str, ...] = Field(min_length=1)


class DatasetCondition(_Strict):
    individuals_above: int | None = Field(default=None, ge=0)
    sensitive_individuals_above: int | None = Field(default=None, ge=0)
    minors_above: int | None = Field(default=None, ge=0)
    categories: tuple[str, ...] = ()


class DatasetRule(_Strict):
    id: str
    when: DatasetCondition
    level: str | None = None
    flag: Flag | None = None
    cite: tuple[str, ...] = Field(min_length=1)


class DatasetRules(_Strict):
    aggregate: Literal["max"] = "max"
    rules: tuple[DatasetRule, ...] = ()


class CatalogueLevels(_Strict):
    important: str
    core: str


class RulePack(_Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    version: str
    title: Text
    jurisdiction: str
    effective_from: date
    sectors: tuple[str, ...] = ()
    citations: dict[str, Citation]
    levels: tuple[Level, ...] = Field(min_length=1)
    default_level: str
    catalogue_levels: CatalogueLevels
    column_rules: tuple[ColumnRule, ...]
    dataset: DatasetRules = DatasetRules()

    @model_validator(mode="after")
    def _references_exist(self) -> RulePack:
        ids = [level.id for level in self.levels]
        if len(set(ids)) != len(ids):
            raise ValueError("level ids must be unique")
        named_levels = [self.default_level, self.catalogue_levels.important]
        named_levels += [self.catalogue_levels.core]
        cited: list[str] = [c for level in self.levels for c in level.cite]
        rules: list[ColumnRule | DatasetRule] = [*self.column_rules, *self.dataset.rules]
        for rule in rules:
            if rule.level is None and rule.flag is None:
                raise ValueError(f"rule {rule.id}: needs a level or a flag")
            if rule.level is not None:
                named_levels.append(rule.level)
            cited += rule.cite
        unknown_levels = sorted(set(named_levels) - set(ids))
        if unknown_levels:
            raise ValueError(f"unknown levels: {', '.join(unknown_levels)}")
        unknown_citations = sorted(set(cited) - set(self.citations))
        if unknown_citations:
            raise ValueError(f"unknown citations: {', '.join(unknown_citations)}")
        return self

    def rank(self, level_id: str) -> int:
        return next(i for i, level in enumerate(self.levels) if level.id == level_id)

    def level(self, level_id: str) -> Level:
        return self.levels[self.rank(level_id)]

    def highest(self, level_ids: Iterable[str]) -> str:
        return max(level_ids, key=self.rank, default=self.default_level)


def _parse(name: str, text: str) -> RulePack:
    data = parse_yaml(text, f"grading pack {name}", field="pack", error=RulePackError)
    try:
        return RulePack.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(pack)"
        raise RulePackError(
            f"grading pack {name}: {where}: {first['msg']}",
            f"分级规则包 {name}：{where}：{first['msg']}",
            field=where,
        ) from exc


@cache
def grading_packs() -> tuple[RulePack, ...]:
    """Every grading pack shipped with dataport, by id."""
    folder = files("dataport.classify") / "packs"
    packs = [
        _parse(entry.name, entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    ]
    ids = [p.id for p in packs]
    if len(set(ids)) != len(ids):
        raise RulePackError("two grading packs share an id", "两个分级规则包的标识重复")
    return tuple(packs)


def grading_pack(pack_id: str | None = None, *, sector: str | None = None) -> RulePack:
    """A pack by id; without one, the pack made for ``sector``, else the national baseline."""
    packs = grading_packs()
    if pack_id is None:
        for pack in packs:
            if sector is not None and sector in pack.sectors:
                return pack
        pack_id = DEFAULT_PACK
    for pack in packs:
        if pack.id == pack_id:
            return pack
    known = ", ".join(p.id for p in packs)
    raise InvalidInput(
        f"unknown grading rule pack {pack_id!r}; known: {known}",
        f"未知分级规则包 {pack_id!r}；可选：{known}",
        field="rulepack",
    )


@dataclass(frozen=True, slots=True)
class Grade:
    """A level, the rules that gave it, and any flags raised."""

    level: str
    rules: tuple[str, ...]
    flags: tuple[str, ...]
    citations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CatalogueMatch:
    """A declared important-data or core-data item that names a column."""

    item_id: str
    name: str
    level: Literal["important", "core"]
    column: str


def _column_rule_fires(rule: ColumnRule, scan: ColumnScan) -> bool:
    condition = rule.when
    if condition.categories and not set(condition.categories) & set(scan.categories):
        return False
    if condition.sensitivity is not None:
        wanted = Sensitivity(condition.sensitivity)
        if not any(hit.sensitivity is wanted for hit in scan.hits):
            return False
    names = condition.column_names
    return names is None or names.vocabulary().matches(scan.name)


def grade_column(
    pack: RulePack, scan: ColumnScan, catalogue: Sequence[CatalogueMatch] = ()
) -> Grade:
    """The level of one column: the highest of the rules that fire, and of catalogue entries."""
    fired = [rule for rule in pack.column_rules if _column_rule_fires(rule, scan)]
    levels = [rule.level for rule in fired if rule.level is not None]
    levels += [getattr(pack.catalogue_levels, match.level) for match in catalogue]
    citations = [c for rule in fired for c in rule.cite]
    if catalogue:
        citations += [c for level in levels for c in pack.level(level).cite]
    return Grade(
        level=pack.highest(levels),
        rules=tuple(rule.id for rule in fired) + tuple(f"catalogue:{m.item_id}" for m in catalogue),
        flags=tuple(dict.fromkeys(rule.flag for rule in fired if rule.flag is not None)),
        citations=tuple(dict.fromkeys(citations)),
    )


@dataclass(frozen=True, slots=True)
class DatasetFacts:
    """What dataset rules may test."""

    individuals: int
    sensitive_individuals: int
    minors: int
    categories: frozenset[str]


def _dataset_rule_fires(rule: DatasetRule, facts: DatasetFacts) -> bool:
    when = rule.when
    checks = [
        when.individuals_above is None or facts.individuals > when.individuals_above,
        when.sensitive_individuals_above is None
        or facts.sensitive_individuals > when.sensitive_individuals_above,
        when.minors_above is None or facts.minors > when.minors_above,
        not when.categories or bool(set(when.categories) & facts.categories),
    ]
    return all(checks)


def grade_dataset(pack: RulePack, columns: Sequence[Grade], facts: DatasetFacts) -> Grade:
    """The dataset's level: the highest of its columns, raised by dataset rules that fire."""
    fired = [rule for rule in pack.dataset.rules if _dataset_rule_fires(rule, facts)]
    levels = [grade.level for grade in columns]
    levels += [rule.level for rule in fired if rule.level is not None]
    flags = [f for grade in columns for f in grade.flags]
    flags += [rule.flag for rule in fired if rule.flag is not None]
    level = pack.highest(levels)
    return Grade(
        level=level,
        rules=tuple(rule.id for rule in fired),
        flags=tuple(dict.fromkeys(flags)),
        citations=tuple(
            dict.fromkeys([*pack.level(level).cite, *(c for r in fired for c in r.cite)])
        ),
    )
