"""Rule packs: their schema, loading and validation, and choosing the packs in force on a date.

A pack is a YAML file: an id, a version, the zones it applies to (none: the whole
jurisdiction), effective dates, the counting window, named citations, decision rules,
obligations, and for free-trade-zone lists the list itself (see docs/rulepacks.md). Packs are
validated when loaded: every citation key must exist, every condition must compile, and two
versions of one pack may not be in force on the same day.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dataport.errors import InvalidInput
from dataport.rules.conditions import Condition, ConditionError, compile_condition
from dataport.yamlfile import parse_yaml


class Pathway(enum.StrEnum):
    exempt = "exempt"
    standard_contract_or_certification = "standard_contract_or_certification"
    security_assessment = "security_assessment"
    prohibited = "prohibited"


#: Facts a decision rule may test; obligations may test ``pathway`` as well.
FACTS = (
    "core_data",
    "important_data",
    "self_identified_important",
    "contains_pi",
    "ciio",
    "purpose",
    "recipient_country",
    "registered_zone",
    "sector",
    "individuals",
    "sensitive_individuals",
    "cumulative_individuals",
    "cumulative_sensitive_individuals",
    "cumulative_all_individuals",
    "pi_individuals_handled",
)
OBLIGATION_FACTS = (*FACTS, "pathway")

#: Decision stages, in the order they are tried (free-trade-zone lists come after "exemption").
STAGES = ("prohibition", "exemption", "ftz", "trigger", "default")

Status = Literal["confirmed", "sourced", "secondary", "low", "inferred", "unconfirmed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Text(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Citation(_Strict):
    ref: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    status: Status
    url: str | None = None


class Rule(_Strict):
    id: str
    stage: Literal["prohibition", "exemption", "trigger", "default"]
    title: Text
    when: dict[str, Any]
    pathway: Pathway
    cite: list[str] = Field(min_length=1)


class Obligation(_Strict):
    id: str
    when: dict[str, Any]
    text: Text
    cite: list[str] = Field(min_length=1)


class ListCondition(_Strict):
    id: str
    must_be: bool
    text: Text
    cite: list[str] = Field(min_length=1)


class ListField(_Strict):
    id: str
    title: Text
    status: Status


class ListCategory(_Strict):
    id: str
    title: Text
    status: Status
    fields: list[ListField] = []


class ListScenario(_Strict):
    id: str
    title: Text
    status: Status
    categories: list[ListCategory] = []


class ListEntry(_Strict):
    id: str
    title: Text
    status: Status
    mechanism: Pathway | None = None


class ListSector(_Strict):
    id: str
    #: dataport catalog sectors this list sector covers; ``"*"`` for every sector.
    catalog_sectors: list[str] = Field(min_length=1)
    title: Text
    status: Status
    conditions: list[ListCondition] = []
    scenarios: list[ListScenario] = []
    entries: list[ListEntry] = []

    def covers(self, sector: str) -> bool:
        return "*" in self.catalog_sectors or sector in self.catalog_sectors


class ZoneList(_Strict):
    #: ``general``: an allowlist of data that may flow; ``negative``: data that may not flow
    #: without a mechanism (everything else is exempt under Provisions Art. 6).
    kind: Literal["general", "negative"]
    excludes_ciio: bool
    #: Whether the list's content is known in full. An incomplete negative list never grants
    #: the Art. 6 exemption: absence from a partial list proves nothing.
    content_complete: bool
    cite: list[str] = Field(min_length=1)
    sectors: list[ListSector] = Field(min_length=1)


class RulePack(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1)
    title: Text
    jurisdiction: str = Field(pattern=r"^[A-Z]{2}$")
    zones: list[str] = []
    effective_from: date
    effective_until: date | None = None
    counting_window: Literal["current_year", "previous_year"]
    citations: dict[str, Citation] = Field(min_length=1)
    rules: list[Rule] = []
    obligations: list[Obligation] = []
    zone_list: ZoneList | None = Field(default=None, alias="list")

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_until is None or day < self.effective_until
        )

    @model_validator(mode="after")
    def _consistent(self) -> RulePack:
        if self.effective_until is not None and self.effective_until <= self.effective_from:
            raise ValueError("effective_until must be after effective_from")
        if not self.zones and self.zone_list is not None:
            raise ValueError("a zone list needs the zones it applies to")
        if not self.rules and self.zone_list is None:
            raise ValueError("a pack needs rules or a zone list")
        cited: list[tuple[str, list[str]]] = [(f"rules.{r.id}", r.cite) for r in self.rules]
        cited += [(f"obligations.{o.id}", o.cite) for o in self.obligations]
        if self.zone_list is not None:
            cited.append(("list", self.zone_list.cite))
            for sector in self.zone_list.sectors:
                cited += [(f"list.{sector.id}.{c.id}", c.cite) for c in sector.conditions]
        for where, keys in cited:
            missing = [k for k in keys if k not in self.citations]
            if missing:
                raise ValueError(f"{where} cites unknown citations: {', '.join(missing)}")
        for kind, items in (("rule", self.rules), ("obligation", self.obligations)):
            ids = [i.id for i in items]
            duplicates = {i for i in ids if ids.count(i) > 1}
            if duplicates:
                raise ValueError(f"duplicate {kind} ids: {', '.join(sorted(duplicates))}")
        return self


@dataclass(frozen=True)
class CompiledPack:
    """A validated pack with its conditions compiled."""

    pack: RulePack
    source: str
    rule_conditions: dict[str, Condition]
    obligation_conditions: dict[str, Condition]


class RulePackError(InvalidInput):
    code = "invalid_rule_pack"


def parse_pack(text: str, source: str) -> CompiledPack:
    """Parse and validate one pack; errors name the file and the field at fault."""
    data = parse_yaml(text, source, field="pack", error=RulePackError)
    if not isinstance(data, dict):
        raise RulePackError(
            f"{source}: a rule pack must be a YAML mapping", f"{source}：规则包必须是 YAML 映射"
        )
    try:
        pack = RulePack.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(pack)"
        raise RulePackError(
            f"{source}: {field}: {first['msg']}",
            f"{source}：字段 {field} 无效：{first['msg']}",
            field=field,
        ) from exc
    try:
        rules = {r.id: compile_condition(r.when, FACTS, f"rules.{r.id}.when") for r in pack.rules}
        obligations = {
            o.id: compile_condition(o.when, OBLIGATION_FACTS, f"obligations.{o.id}.when")
            for o in pack.obligations
        }
    except ConditionError as exc:
        raise RulePackError(f"{source}: {exc}", f"{source}：条件无效：{exc}") from exc
    return CompiledPack(pack, source, rules, obligations)


class PackRegistry:
    """A set of packs, and which of them are in force on a day for an exporter's zone."""

    def __init__(self, packs: Iterable[CompiledPack]) -> None:
        self.packs: tuple[CompiledPack, ...] = tuple(
            sorted(packs, key=lambda c: (c.pack.id, c.pack.effective_from))
        )
        by_id: dict[str, list[CompiledPack]] = {}
        for compiled in self.packs:
            by_id.setdefault(compiled.pack.id, []).append(compiled)
        for pack_id, versions in by_id.items():
            for earlier, later in pairwise(versions):
                end = earlier.pack.effective_until
                if end is None or end > later.pack.effective_from:
                    raise RulePackError(
                        f"{pack_id}: versions {earlier.pack.version} and {later.pack.version} "
                        "are in force at the same time",
                        f"{pack_id}：版本 {earlier.pack.version} 与 {later.pack.version} "
                        "生效期重叠",
                    )

    def in_force(self, day: date, jurisdiction: str = "CN") -> list[CompiledPack]:
        return [
            c for c in self.packs if c.pack.jurisdiction == jurisdiction and c.pack.in_force(day)
        ]

    def national(self, day: date, jurisdiction: str = "CN") -> CompiledPack:
        national = [c for c in self.in_force(day, jurisdiction) if not c.pack.zones]
        if not national:
            known = sorted({c.pack.effective_from for c in self.packs if not c.pack.zones})
            earliest = known[0].isoformat() if known else "-"
            raise InvalidInput(
                f"no rule pack for {jurisdiction} is in force on {day.isoformat()} "
                f"(the earliest starts {earliest})",
                f"{day.isoformat()} 没有生效的 {jurisdiction} 规则包（最早的自 {earliest} 起生效）",
                field="as_of",
            )
        if len(national) > 1:
            refs = ", ".join(c.pack.ref for c in national)
            raise RulePackError(
                f"several national packs are in force on {day}: {refs}",
                f"{day} 有多个全国性规则包同时生效：{refs}",
            )
        return national[0]

    def for_zone(self, day: date, zone: str | None, jurisdiction: str = "CN") -> list[CompiledPack]:
        if zone is None:
            return []
        return [c for c in self.in_force(day, jurisdiction) if zone in c.pack.zones]

    def find(self, ref: str) -> CompiledPack:
        """A pack by ``id`` (its newest version) or ``id@version``."""
        pack_id, _, version = ref.partition("@")
        matches = [
            c
            for c in self.packs
            if c.pack.id == pack_id and (not version or c.pack.version == version)
        ]
        if not matches:
            raise InvalidInput(f"no rule pack {ref!r}", f"不存在规则包 {ref!r}", field="pack")
        return matches[-1]


def load_directory(folder: Path | Any) -> list[CompiledPack]:
    """Every ``*.yaml`` pack in ``folder`` (a path or an importlib resource)."""
    return [
        parse_pack(entry.read_text(encoding="utf-8"), entry.name)
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    ]


@cache
def shipped_packs() -> PackRegistry:
    """The packs that ship with dataport."""
    return PackRegistry(load_directory(files("dataport.rules") / "packs"))


def registry_with(extra: Sequence[Path]) -> PackRegistry:
    """The shipped packs plus packs read from ``extra`` files.

    A file that is a newer version of a shipped pack (same id, later ``effective_from``) takes
    over from that day: the shipped version is treated as ending then. This is how a new
    regulation arrives without a code change.
    """
    packs = list(shipped_packs().packs)
    for path in extra:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RulePackError(
                f"cannot read rule pack {path}: {exc.strerror}", f"无法读取规则包 {path}"
            ) from exc
        added = parse_pack(text, str(path))
        start = added.pack.effective_from
        packs = [_ended_before(c, added.pack.id, start) for c in packs]
        packs.append(added)
    return PackRegistry(packs)


def _ended_before(compiled: CompiledPack, pack_id: str, start: date) -> CompiledPack:
    pack = compiled.pack
    open_past_start = pack.effective_until is None or pack.effective_until > start
    if pack.id != pack_id or pack.effective_from >= start or not open_past_start:
        return compiled
    ended = pack.model_copy(update={"effective_until": start})
    return CompiledPack(
        ended, compiled.source, compiled.rule_conditions, compiled.obligation_conditions
    )
