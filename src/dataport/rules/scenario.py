"""What-if scenarios: the facts of one transfer, as a compliance officer writes them in YAML.

The schema is documented in docs/rulepacks.md. Every field is checked; an error names the
field (``transfer.purpose``, ``history[1].date``) or the YAML line at fault.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError, model_validator

from dataport.errors import InvalidInput
from dataport.yamlfile import read_yaml

Purpose = Literal[
    "business",
    "contract_with_individual",
    "hr_management",
    "emergency",
    "trade_no_pi",
    "foreign_origin",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Exporter(_Strict):
    #: A critical information infrastructure operator (关键信息基础设施运营者).
    ciio: bool
    #: Free-trade zone the exporter is registered in, e.g. ``lingang``; null for none.
    registered_zone: str | None = None
    sector: str = "general"
    #: Individuals whose PI the exporter handles in all (the 2022 Measures' 1,000,000 trigger).
    pi_individuals_handled: NonNegativeInt | None = None


class Transfer(_Strict):
    purpose: Purpose
    recipient_country: str = Field(pattern=r"^[A-Z]{2}$")
    contains_pi: bool
    #: Individuals whose (non-sensitive) personal information this transfer carries.
    individuals: NonNegativeInt = 0
    #: Individuals whose sensitive personal information this transfer carries.
    sensitive_individuals: NonNegativeInt = 0
    #: Data notified or publicly released as important data by a department or region.
    important_data: bool = False
    #: Data the exporter itself considers important but that was never notified or published.
    self_identified_important: bool = False
    core_data: bool = False
    #: Field ids, ``<list sector>.<scenario>.<category>[.<field>]``, for free-trade-zone lists.
    fields: list[str] = []
    #: Conditions a list attaches, e.g. ``images_contain_faces_or_plates: false``.
    conditions: dict[str, bool] = {}

    @model_validator(mode="after")
    def _counts_match(self) -> Transfer:
        counted = self.individuals + self.sensitive_individuals
        if not self.contains_pi and counted:
            raise ValueError("contains_pi is false, but individuals are counted")
        if self.contains_pi and not counted:
            raise ValueError("contains_pi is true, but no individuals are counted")
        return self


class HistoryEntry(_Strict):
    date: date
    individuals: NonNegativeInt = 0
    sensitive_individuals: NonNegativeInt = 0


class Scenario(_Strict):
    as_of: date
    exporter: Exporter
    transfer: Transfer
    #: Earlier transfers abroad by the same exporter (the same legal entity).
    history: list[HistoryEntry] = []

    @model_validator(mode="after")
    def _history_before_transfer(self) -> Scenario:
        for i, entry in enumerate(self.history):
            if entry.date > self.as_of:
                raise ValueError(
                    f"history[{i}].date {entry.date} is after as_of {self.as_of}: "
                    "history holds earlier transfers only"
                )
        return self


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    """Validate a scenario mapping; the error names the field at fault."""
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{source}: a scenario must be a YAML mapping with as_of, exporter and transfer",
            f"{source}：情景文件须为包含 as_of、exporter、transfer 的 YAML 映射",
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _field_path(first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise InvalidInput(
            f"{source}: {field}: {message}",
            f"{source}：字段 {field} 无效：{message}",
            field=field,
        ) from exc


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(scenario)"


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file."""
    data = read_yaml(path, field="scenario")
    return parse_scenario(data, str(path))
