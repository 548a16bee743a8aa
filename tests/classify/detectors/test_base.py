"""Column-name vocabularies and the invariants of a detector declaration."""

from __future__ import annotations

import pytest

from dataport.classify import Detector, Scope, Sensitivity, ValuePattern, Vocabulary
from dataport.classify.detectors.base import latin_tokens

PHONE = Vocabulary(
    zh=("手机", "电话"), latin=("phone", "mobile", "tel", "sjh"), exclude_zh=("传真",)
)


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("mobilePhoneNo", ("mobile", "phone", "no")),
        ("USER_ID", ("user", "id")),
        ("联系电话(手机)", ()),
        ("IP地址", ("ip",)),
    ],
)
def test_latin_tokens(name: str, tokens: tuple[str, ...]) -> None:
    assert latin_tokens(name) == tokens


@pytest.mark.parametrize(
    "name",
    ["手机号码", "联系电话", "phone", "mobile_no", "mobileNo", "PhoneNumber", "user_tel", "SJH"],
)
def test_vocabulary_matches(name: str) -> None:
    assert PHONE.matches(name)


@pytest.mark.parametrize(
    "name",
    ["headphone_model", "automobile", "hotel", "telemetry_id", "传真电话", "col_7", "", None],
)
def test_vocabulary_does_not_match_inside_other_words(name: str | None) -> None:
    assert not PHONE.matches(name)


def test_text_detectors_need_a_candidate_regex() -> None:
    with pytest.raises(ValueError, match="candidate"):
        Detector(
            category="x",
            label_zh="x",
            label_en="x",
            sensitivity=Sensitivity.PERSONAL,
            basis="x",
            vocabulary=Vocabulary(),
            patterns=(ValuePattern("p", "x", 0.5),),
            scope=Scope.TEXT,
        )


def test_a_detector_needs_values_or_a_header_score() -> None:
    with pytest.raises(ValueError, match="header score"):
        Detector(
            category="x",
            label_zh="x",
            label_en="x",
            sensitivity=Sensitivity.PERSONAL,
            basis="x",
            vocabulary=Vocabulary(),
        )


@pytest.mark.parametrize("chance", [-0.1, 1.0])
def test_chance_must_be_a_probability_below_one(chance: float) -> None:
    with pytest.raises(ValueError, match="chance"):
        Detector(
            category="x",
            label_zh="x",
            label_en="x",
            sensitivity=Sensitivity.PERSONAL,
            basis="x",
            vocabulary=Vocabulary(),
            header_score=0.5,
            chance=chance,
        )
