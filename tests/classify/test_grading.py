"""Grading packs: their schema and citations, column and dataset grades, the catalogue."""

from __future__ import annotations

import polars as pl
import pytest

from dataport.classify import scan_column
from dataport.classify.grading import (
    CatalogueMatch,
    DatasetFacts,
    RulePackError,
    _parse,
    grade_column,
    grade_dataset,
    grading_pack,
    grading_packs,
)
from dataport.errors import InvalidInput
from tests.classify import generators as gen


def column(name: str, values: list[str]) -> pl.Series:
    return pl.Series(name, values)


def test_the_three_packs_load_with_every_citation_and_level_resolved() -> None:
    packs = {p.id: p for p in grading_packs()}
    assert set(packs) >= {"cn-baseline", "cn-finance", "cn-automotive"}
    assert [level.id for level in packs["cn-finance"].levels] == ["L1", "L2", "L3", "L4", "L5"]
    assert [level.id for level in packs["cn-baseline"].levels][-2:] == ["important", "core"]
    for pack in packs.values():
        for level in pack.levels:
            assert level.zh
            assert level.en
            assert level.cite


def test_a_pack_is_chosen_by_id_or_by_the_dataset_sector() -> None:
    assert grading_pack().id == "cn-baseline"
    assert grading_pack(sector="finance").id == "cn-finance"
    assert grading_pack(sector="automotive").id == "cn-automotive"
    assert grading_pack(sector="ecommerce").id == "cn-baseline"
    with pytest.raises(InvalidInput, match="unknown grading rule pack"):
        grading_pack("nope")


def test_a_pack_naming_an_unknown_level_or_citation_is_refused() -> None:
    good = grading_packs()[0].model_dump_json()
    assert _parse("copy", good).id == grading_packs()[0].id
    broken = good.replace('"default_level":"general_1"', '"default_level":"nowhere"')
    broken = broken.replace('"default_level":"L2"', '"default_level":"nowhere"')
    with pytest.raises(RulePackError, match="unknown levels"):
        _parse("broken", broken)
    with pytest.raises(RulePackError, match="not valid YAML"):
        _parse("broken", "id: [")


def test_baseline_grades_sensitive_personal_organisation_and_nothing() -> None:
    pack = grading_pack("cn-baseline")
    rng = gen.seeded(7)
    ids = scan_column(column("证件号", [gen.resident_id(rng) for _ in range(50)]))
    phones = scan_column(column("手机", [gen.mobile(rng) for _ in range(50)]))
    codes = scan_column(column("信用代码", [gen.uscc(rng) for _ in range(50)]))
    skus = scan_column(column("sku", [gen.sku(rng) for _ in range(50)]))
    assert grade_column(pack, ids).level == "general_4"
    assert grade_column(pack, phones).level == "general_3"
    assert grade_column(pack, codes).level == "general_2"
    assert grade_column(pack, skus).level == "general_1"
    assert "pipl-28" in grade_column(pack, ids).citations


def test_only_a_declared_catalogue_item_makes_a_column_important() -> None:
    pack = grading_pack("cn-baseline")
    rng = gen.seeded(8)
    survey = scan_column(column("测绘精度", [f"{rng.random():.6f}" for _ in range(30)]))
    assert grade_column(pack, survey).level == "general_1"
    matched = CatalogueMatch("item-1", "高精度测绘数据", "important", "测绘精度")
    graded = grade_column(pack, survey, [matched])
    assert graded.level == "important"
    assert "catalogue:item-1" in graded.rules
    core = CatalogueMatch("item-2", "核心", "core", "测绘精度")
    assert grade_column(pack, survey, [core]).level == "core"
    assert grade_column(grading_pack("cn-finance"), survey, [matched]).level == "L5"


def test_finance_grades_authentication_data_above_customer_data() -> None:
    pack = grading_pack("cn-finance")
    rng = gen.seeded(9)
    passwords = scan_column(column("支付密码", ["e3b0c44298fc1c14" for _ in range(20)]))
    cards = scan_column(column("银行卡号", [gen.bank_card(rng) for _ in range(50)]))
    balance = scan_column(column("balance", [f"{rng.random() * 1000:.2f}" for _ in range(20)]))
    plain = scan_column(column("branch_code", ["A001"] * 20))
    assert grade_column(pack, passwords).level == "L4"
    assert grade_column(pack, cards).level == "L3"
    assert grade_column(pack, balance).level == "L3"
    assert grade_column(pack, plain).level == "L2"
    facts = DatasetFacts(1, 1, 0, frozenset())
    graded = [grade_column(pack, c) for c in (passwords, cards, plain)]
    assert grade_dataset(pack, graded, facts).level == "L4"


def test_automotive_flags_exterior_images_and_large_populations_as_candidates() -> None:
    pack = grading_pack("cn-automotive")
    rng = gen.seeded(10)
    vins = scan_column(column("车架号", [gen.vin(rng) for _ in range(50)]))
    exterior = scan_column(pl.Series("front_camera", [b"\x89PNG"] * 5, dtype=pl.Binary))
    cabin = scan_column(pl.Series("cabin_image", [b"\x89PNG"] * 5, dtype=pl.Binary))
    assert grade_column(pack, vins).level == "general_3"
    assert grade_column(pack, cabin).level == "general_4"
    exterior_grade = grade_column(pack, exterior)
    assert exterior_grade.flags == ("important_candidate",)
    small = grade_dataset(
        pack, [grade_column(pack, vins)], DatasetFacts(100_000, 0, 0, frozenset())
    )
    large = grade_dataset(
        pack, [grade_column(pack, vins)], DatasetFacts(100_001, 0, 0, frozenset())
    )
    assert small.flags == ()
    assert large.flags == ("important_candidate",)
    # A flag is not a grade: the data becomes important only once declared.
    assert large.level == "general_3"
