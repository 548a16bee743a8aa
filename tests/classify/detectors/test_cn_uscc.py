import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "cn_uscc"

FOUND = [
    ("91110000600037341L", ["91110000600037341L"]),  # GB 32100 example
    ("统一社会信用代码：91440300FKTL48CKA4", ["91440300FKTL48CKA4"]),
    ("52310115AX6JM23YTC", ["52310115AX6JM23YTC"]),  # civil non-enterprise unit
    ("N1440300YNNEU5MNQW", ["N1440300YNNEU5MNQW"]),  # authority N: python-stdnum rejects these
]

NOT_FOUND = [
    "91110000600037341K",  # check character wrong
    "9111000060003734IL",  # I is not in the alphabet
    "01110000600037341L",  # authority 0 does not exist
    "110105202203178887",  # a resident ID
    "202108250708969638",
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_codes(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
