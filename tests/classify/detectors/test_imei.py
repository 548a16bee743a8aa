import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "imei"

FOUND = [
    ("019691593375236", ["019691593375236"]),
    ("490154203237518", ["490154203237518"]),  # the example IMEI of 3GPP and python-stdnum
    ("IMEI:49-015420-323751-8", ["490154203237518"]),
]

NOT_FOUND = [
    "490154203237519",  # check digit wrong
    "110105300228214",  # legacy resident ID that happens to pass Luhn: the ID wins
    "4901542032375",  # 13 digits
    "4901542032375180",  # IMEISV-length: 16 digits carry no check digit
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_imeis(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []
