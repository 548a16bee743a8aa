"""Scenario files: the schema, and every kind of bad input named by its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataport.errors import InvalidInput
from dataport.rules.scenario import load_scenario, parse_scenario
from tests.rules.conftest import scenario


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"purpose": "marketing"}, "transfer.purpose", "business"),
        ({"individuals": -1}, "transfer.individuals", "greater than or equal to 0"),
        ({"recipient_country": "Germany"}, "transfer.recipient_country", "pattern"),
        ({"contains_pi": False}, "transfer", "individuals are counted"),
        ({"individuals": 0}, "transfer", "no individuals are counted"),
        ({"colour": "red"}, "transfer.colour", "Extra inputs"),
    ],
)
def test_bad_fields_are_named(overrides: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        parse_scenario(scenario(**overrides))
    assert info.value.field == field


def test_history_after_as_of_and_negative_history() -> None:
    with pytest.raises(InvalidInput, match=r"history\[0\].date 2025-07-01 is after as_of"):
        parse_scenario(scenario(history=[{"date": "2025-07-01", "individuals": 1}]))
    with pytest.raises(InvalidInput) as info:
        parse_scenario(scenario(history=[{"date": "2025-01-01", "individuals": -5}]))
    assert info.value.field == "history[0].individuals"


def test_missing_sections() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_scenario({"as_of": "2025-01-01", "transfer": scenario()["transfer"]})
    assert info.value.field == "exporter"
    with pytest.raises(InvalidInput, match="must be a YAML mapping"):
        parse_scenario(["not", "a", "mapping"])


def test_files(tmp_path: Path) -> None:
    good = tmp_path / "ok.yaml"
    good.write_text(
        "as_of: 2025-06-01\nexporter: {ciio: false}\n"
        "transfer: {purpose: business, recipient_country: DE, contains_pi: true, individuals: 5}\n",
        encoding="utf-8",
    )
    assert load_scenario(good).transfer.individuals == 5
    malformed = tmp_path / "bad.yaml"
    malformed.write_text("as_of: 2025-06-01\nexporter: {ciio: false\ntransfer: x\n")
    with pytest.raises(InvalidInput, match="not valid YAML at line"):
        load_scenario(malformed)
    with pytest.raises(InvalidInput, match="no such file"):
        load_scenario(tmp_path / "missing.yaml")
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("as_of: 2025-06-01\n# 中文注释\n".encode("gbk"))
    with pytest.raises(InvalidInput, match="UTF-8"):
        load_scenario(gbk)
