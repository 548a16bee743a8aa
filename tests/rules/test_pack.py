"""Rule packs: the shipped ones are valid, and broken ones are refused with a clear message."""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest

from dataport.errors import InvalidInput
from dataport.rules.pack import (
    PackRegistry,
    RulePackError,
    parse_pack,
    registry_with,
    shipped_packs,
)

MINIMAL = """
id: test-pack
version: "1"
title: {zh: 测试, en: Test}
jurisdiction: CN
effective_from: 2030-01-01
counting_window: current_year
citations:
  art-1: {ref: Art. 1, zh: 第一条, en: Article 1, status: confirmed}
rules:
  - id: everything-exempt
    stage: default
    title: {zh: 全部免予申报, en: Everything exempt}
    when: {contains_pi: true}
    pathway: exempt
    cite: [art-1]
"""


def test_shipped_packs_are_valid_and_every_rule_is_cited() -> None:
    registry = shipped_packs()
    refs = [c.pack.ref for c in registry.packs]
    assert "cn-national@2024.03.22" in refs
    assert "cn-sh-lingang-general-data-list@2024.05.17" in refs
    for compiled in registry.packs:
        for rule in compiled.pack.rules:
            assert rule.cite
            assert all(
                compiled.pack.citations[k].zh and compiled.pack.citations[k].en for k in rule.cite
            )


def test_national_packs_follow_each_other_without_gap_or_overlap() -> None:
    registry = shipped_packs()
    national = [c.pack for c in registry.packs if c.pack.id == "cn-national"]
    for earlier, later in pairwise(national):
        assert earlier.effective_until == later.effective_from
    assert national[0].effective_from == date(2022, 9, 1)
    assert national[-1].effective_until is None


def test_no_pack_in_force_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="no rule pack for CN is in force on 2021-12-01") as info:
        shipped_packs().national(date(2021, 12, 1))
    assert info.value.field == "as_of"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("cite: [art-1]", "cite: [art-9]"), "cites unknown citations: art-9"),
        (("{contains_pi: true}", "{contains_pii: true}"), "unknown fact 'contains_pii'"),
        (("{contains_pi: true}", "{individuals: {about: 5}}"), "unknown operator 'about'"),
        (("pathway: exempt", "pathway: maybe"), "rules.0.pathway"),
        (("status: confirmed", "status: rumour"), "citations.art-1.status"),
        (('version: "1"', 'version: "1"\nextra: field'), "extra"),
        (
            (
                "effective_from: 2030-01-01",
                "effective_from: 2030-01-01\neffective_until: 2029-01-01",
            ),
            "effective_until must be after",
        ),
        (("title: {zh: 测试, en: Test}", "title: {zh: 测试, en: Test: broken}"), "YAML"),
    ],
)
def test_broken_packs_are_refused(change: tuple[str, str], message: str) -> None:
    with pytest.raises(RulePackError, match=message):
        parse_pack(MINIMAL.replace(*change), "broken.yaml")


def test_overlapping_versions_are_refused() -> None:
    first = parse_pack(MINIMAL, "a.yaml")
    second = parse_pack(
        MINIMAL.replace('version: "1"', 'version: "2"').replace("2030-01-01", "2031-01-01"),
        "b.yaml",
    )
    with pytest.raises(RulePackError, match="in force at the same time"):
        PackRegistry([first, second])


def test_a_new_version_supersedes_the_shipped_one_from_its_date(tmp_path: Path) -> None:
    text = MINIMAL.replace("id: test-pack", "id: cn-national").replace(
        'version: "1"', 'version: "2030.01.01"'
    )
    path = tmp_path / "cn-national-2030.yaml"
    path.write_text(text, encoding="utf-8")
    registry = registry_with([path])
    assert registry.national(date(2029, 12, 31)).pack.version == "2024.03.22"
    assert registry.national(date(2030, 1, 1)).pack.version == "2030.01.01"
    with pytest.raises(RulePackError, match="cannot read rule pack"):
        registry_with([tmp_path / "missing.yaml"])
