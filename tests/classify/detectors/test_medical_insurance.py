import pytest

from dataport.classify import detector_for
from tests.classify.detectors.tables import matches_in

CATEGORY = "medical_insurance"

IN_AN_INSURANCE_COLUMN = [
    ("360426199101010071", ["360426199101010071"]),  # the social security number is the ID
    ("A12345678", ["A12345678"]),  # a card number
    ("1234567890123456789012345", ["1234567890123456789012345"]),  # a 25-digit regional number
    ("ab-1234-5678", ["AB12345678"]),
]

NOT_FOUND = [
    ("360426199101010071", False),  # without the column name it is only a resident ID
    ("A12345678", False),
    ("360426199101010072", True),  # ID-shaped with a wrong check character
    ("城镇职工", True),  # an insurance type, not a number
    ("1234567", True),
]


@pytest.mark.parametrize(("text", "expected"), IN_AN_INSURANCE_COLUMN)
def test_finds_numbers_in_an_insurance_column(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text, context=True) == expected


@pytest.mark.parametrize(("text", "context"), NOT_FOUND)
def test_rejects_look_alikes(text: str, context: bool) -> None:
    assert matches_in(CATEGORY, text, context=context) == []


@pytest.mark.parametrize("header", ["医保卡号", "社会保障号码", "参保人编号", "social_security_no"])
def test_column_names(header: str) -> None:
    assert detector_for(CATEGORY).vocabulary.matches(header)


@pytest.mark.parametrize("header", ["医保类型", "社保缴费金额", "身份证号", "insurance_type"])
def test_other_columns_are_not_insurance_numbers(header: str) -> None:
    assert not detector_for(CATEGORY).vocabulary.matches(header)
