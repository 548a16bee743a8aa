import polars as pl
import pytest

from dataport.classify import detector_for, find_matches
from tests.classify import generators as gen
from tests.classify.detectors.tables import matches_in

CATEGORY = "hk_id_card"

FOUND = [
    ("A123456(3)", False, ["A123456(3)"]),  # the example the Immigration Department's guides use
    ("ZA123456(1)", False, ["ZA123456(1)"]),  # two letters, check computed by hand
    ("a123456(3)", False, ["A123456(3)"]),
    ("A123456（3）", False, ["A123456(3)"]),  # full-width brackets
    ("A 123456 (3)", False, ["A123456(3)"]),
    ("香港身份证A123456(3)，电话", False, ["A123456(3)"]),  # inside text
    ("A1234563", True, ["A1234563"]),  # no brackets, in an HKID column
]

NOT_FOUND = [
    ("A123456(4)", False),  # check character wrong
    ("A123456(A)", False),
    ("A1234563", False),  # no brackets and no column name: a serial number
    ("ABC123456(3)", False),  # three letters
    ("A12345(3)", False),
    ("1234567(8)", False),  # a Macau number
]


@pytest.mark.parametrize(("text", "context", "expected"), FOUND)
def test_finds_ids(text: str, context: bool, expected: list[str]) -> None:
    assert matches_in(CATEGORY, text, context=context) == expected


@pytest.mark.parametrize(("text", "context"), NOT_FOUND)
def test_rejects_look_alikes(text: str, context: bool) -> None:
    assert matches_in(CATEGORY, text, context=context) == []


def test_agrees_with_the_reference_check_on_generated_ids() -> None:
    rng = gen.seeded(852)
    valid = [gen.hk_id(rng) for _ in range(300)]
    wrong = [v[:-2] + ("0" if v[-2] != "0" else "1") + ")" for v in valid]
    found = find_matches(detector_for(CATEGORY), pl.Series(valid + wrong))
    assert found["value"].to_list() == valid
