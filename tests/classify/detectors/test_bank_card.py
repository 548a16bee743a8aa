import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "bank_card"

FOUND = [
    ("6222023728360567120", ["6222023728360567120"]),  # UnionPay, 19 digits
    ("4367425655356655", ["4367425655356655"]),  # Visa, 16 digits
    ("6258 0793 6330 3041", ["6258079363303041"]),  # written in groups
    ("卡号6258-0793-6330-3041", ["6258079363303041"]),
    ("4111111111111111", ["4111111111111111"]),
]

NOT_FOUND = [
    "9182850140201993",  # 16-digit serial failing Luhn
    "6222023728360567121",  # last digit changed
    "1234567812345670",  # passes Luhn but no card scheme opens with 1
    "110105202203178887",  # a resident ID that happens to pass Luhn: the ID wins
    "20230515123045",
    "6913082391826",  # EAN-13
    "62220237283605671201",  # 20 digits
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_cards(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
