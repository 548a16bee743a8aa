import polars as pl
import pytest

from dataport.classify import detector_for, find_matches
from tests.classify import generators as gen
from tests.classify.detectors.tables import matches_in

CATEGORY = "taiwan_id_card"

FOUND = [
    ("A123456789", ["A123456789"]),  # the textbook example
    ("a123456789", ["A123456789"]),
    ("身分證字號：A123456789。", ["A123456789"]),
    ("F131104093", ["F131104093"]),  # check digit computed by hand: F = 15
]

NOT_FOUND = [
    "A123456788",  # check digit wrong
    "A323456789",  # second digit is neither sex nor a resident's uniform number
    "AB12345678",
    "A1234567890",  # one digit too many
    "H12345678",  # a home-return permit
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_finds_ids(text: str, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text) == expected


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_look_alikes(text: str) -> None:
    assert matches_in(CATEGORY, text) == []


def test_agrees_with_the_reference_check_on_generated_ids() -> None:
    rng = gen.seeded(886)
    valid = [gen.taiwan_id(rng) for _ in range(300)]
    wrong = [v[:-1] + str((int(v[-1]) + 1) % 10) for v in valid]
    found = find_matches(detector_for(CATEGORY), pl.Series(valid + wrong))
    assert found["value"].to_list() == valid
