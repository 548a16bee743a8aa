import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "macau_id_card"

FOUND = [
    ("1234567(8)", False, ["1234567(8)"]),
    ("5123456（7）", False, ["5123456(7)"]),
    ("7/123456/8", False, ["7/123456/8"]),  # older cards
    ("12345678", True, ["12345678"]),  # bare digits, in a Macau ID column
]

NOT_FOUND = [
    ("12345678", False),  # bare digits without the column name
    ("2234567(8)", False),  # first digit is never 2
    ("123456(7)", False),
    ("1234567(8)号", False),
    ("22345678", True),
]


@pytest.mark.parametrize(("text", "context", "expected"), FOUND)
def test_finds_ids(text: str, context: bool, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text, context=context) == expected


@pytest.mark.parametrize(("text", "context"), NOT_FOUND)
def test_rejects_look_alikes(text: str, context: bool) -> None:
    assert matches_in(CATEGORY, text, context=context) == []
