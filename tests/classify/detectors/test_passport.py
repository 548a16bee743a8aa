import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "passport"

FOUND = [
    ("E12345678", False, ["E12345678"]),
    ("EB1234567", False, ["EB1234567"]),
    ("e12345678", False, ["E12345678"]),
    ("G12345678", True, ["G12345678"]),  # older series: only in a passport column
    ("DE1234567", True, ["DE1234567"]),  # diplomatic
    ("KJ1234567", True, ["KJ1234567"]),  # HKSAR
    ("MA1234567", True, ["MA1234567"]),  # Macau SAR
]

NOT_FOUND = [
    ("G12345678", False),  # could be any product code without the column name
    ("E1234567", True),  # 7 digits
    ("EI1234567", True),  # I is never used
    ("护照 E12345678", False),  # a whole cell only: inside text it is too ambiguous
    ("SKU-12345-BLK", True),
]


@pytest.mark.parametrize(("text", "context", "expected"), FOUND)
def test_finds_passports(text: str, context: bool, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text, context=context) == expected


@pytest.mark.parametrize(("text", "context"), NOT_FOUND)
def test_rejects_look_alikes(text: str, context: bool) -> None:
    assert matches_in(CATEGORY, text, context=context) == []
