import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "cn_landline"

FOUND = [
    ("010-62345678", ["010-62345678"]),
    ("(021) 54321234", ["021-54321234"]),
    ("0571-8765432", ["0571-8765432"]),
    ("0755-86013388-8001", ["0755-86013388-8001"]),
    ("联系电话02154321234", ["02154321234"]),
]

NOT_FOUND = [
    "000-12345678",  # no area code 000
    "010-12345678",  # local numbers do not start with 1
    "0101234",  # too short
    "13812345678",
    "6901234567892",  # EAN-13 barcode
    "2023-05-15",
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_landlines(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
