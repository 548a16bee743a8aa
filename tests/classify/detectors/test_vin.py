import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "vin"

FOUND = [
    ("1M8GDM9AXKP042788", ["1M8GDM9AXKP042788"]),  # the textbook VIN, check character X
    ("LFV09VFN15CJFWGXU", ["LFV09VFN15CJFWGXU"]),
    ("车架号:lrwtc4kk58g6ydcrb", ["LRWTC4KK58G6YDCRB"]),
]

NOT_FOUND = [
    "1M8GDM9A1KP042788",  # check character wrong
    "1M8GDM9AXKP04278",  # 16 characters
    "1O8GDM9AXKP042788",  # O is not allowed
    "12345678901234567",  # digits only: a serial number
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_vins(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
