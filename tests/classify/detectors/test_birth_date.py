import polars as pl
import pytest

from dataport.classify import detector_for, find_matches
from tests.classify.detectors.tables import matches_in

CATEGORY = "birth_date"

FOUND = ["1990-05-17", "1990/5/7", "19900517", "1990年5月17日", "1990-05-17 00:00:00", "1990.05.17"]

NOT_FOUND = [
    "1990-02-30",  # no such day
    "1899-12-31",  # before 1900
    "2999-01-01",  # in the future
    "20230515123045",  # a timestamp
    "1990-05",
]


@pytest.mark.parametrize("text", FOUND)
def test_finds_birth_dates_in_a_birth_date_column(text: str) -> None:
    assert matches_in(CATEGORY, text, context=True) == [text]


@pytest.mark.parametrize("text", FOUND)
def test_a_date_alone_is_not_a_birth_date(text: str) -> None:
    assert matches_in(CATEGORY, text, context=False) == []


@pytest.mark.parametrize("text", NOT_FOUND)
def test_rejects_impossible_dates(text: str) -> None:
    assert matches_in(CATEGORY, text, context=True) == []


def test_every_form_is_found_in_one_column() -> None:
    # Forms read by position and forms read by pattern, side by side in one batch.
    values = [*FOUND, *NOT_FOUND, None, "1990-5-17", "1990年12月1日"]
    found = find_matches(
        detector_for(CATEGORY), pl.Series("value", values, dtype=pl.String), context=True
    )
    assert list(found["value"]) == [*FOUND, "1990-5-17", "1990年12月1日"]
