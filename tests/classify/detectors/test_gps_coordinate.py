import pytest

from tests.classify.detectors.tables import matches_in

CATEGORY = "gps_coordinate"

FOUND = [
    ("31.230416,121.473701", False),  # latitude first
    ("121.473701, 31.230416", False),  # longitude first, as AMap writes it
    ("(39.9042, 116.4074)", False),
    ("31.230416", True),  # a single value in a latitude column
]

NOT_FOUND = [
    ("31.230416", False),  # a lone decimal could be anything
    ("95.123456,200.123456", False),  # out of range either way
    ("31.2,121.4", False),  # too coarse to place anyone
    ("1024.5", True),
    ("0.000,0.000", False),
]


@pytest.mark.parametrize(("text", "context"), FOUND)
def test_finds_coordinates(text: str, context: bool) -> None:
    assert len(matches_in(CATEGORY, text, context=context)) == 1


@pytest.mark.parametrize(("text", "context"), NOT_FOUND)
def test_rejects_non_coordinates(text: str, context: bool) -> None:
    assert matches_in(CATEGORY, text, context=context) == []
