"""Minors under 14 derived from resident IDs."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dataport.classify import birth_date_from_id, count_minors, is_minor_id
from dataport.classify.minors import minor_id_flags
from tests.classify import generators as gen

AS_OF = dt.date(2025, 6, 1)


def resident_id(born: dt.date) -> str:
    return gen.resident_id(gen.seeded(born.toordinal()), region="110105", born=born)


def test_birth_date_is_read_from_valid_ids_only() -> None:
    ids = [resident_id(dt.date(1990, 5, 17)), "110105199005171230", "310104760805748", "not an id"]
    frame = pl.DataFrame({"id": ids})
    born = frame.select(birth_date_from_id(pl.col("id"), latest=AS_OF))["id"].to_list()
    assert born == [dt.date(1990, 5, 17), None, dt.date(1976, 8, 5), None]


@pytest.mark.parametrize(
    ("born", "minor"),
    [
        (dt.date(2011, 6, 1), False),  # 14th birthday today
        (dt.date(2011, 6, 2), True),  # 14 tomorrow
        (dt.date(2025, 6, 1), True),  # born today
        (dt.date(1990, 1, 1), False),
    ],
)
def test_age_is_counted_in_completed_years(born: dt.date, minor: bool) -> None:
    assert count_minors(pl.Series([resident_id(born)]), AS_OF) == int(minor)


def test_a_29_february_birthday_turns_on_1_march_in_common_years() -> None:
    number = pl.Series([resident_id(dt.date(2012, 2, 29))])
    assert count_minors(number, dt.date(2026, 2, 28)) == 1
    assert count_minors(number, dt.date(2026, 3, 1)) == 0


def test_ids_born_after_the_reference_date_are_not_counted() -> None:
    assert count_minors(pl.Series([resident_id(dt.date(2025, 6, 2))]), AS_OF) == 0


def test_counts_only_valid_ids() -> None:
    child = resident_id(dt.date(2018, 3, 3))
    broken = child[:-1] + ("1" if child[-1] != "1" else "2")
    ids = pl.Series([child, broken, resident_id(dt.date(1980, 1, 1)), None, child.lower()])
    assert count_minors(ids, AS_OF) == 2


def test_age_limit_is_a_parameter() -> None:
    teen = pl.Series([resident_id(dt.date(2008, 1, 1))])
    assert count_minors(teen, AS_OF) == 0
    assert count_minors(teen, AS_OF, under=18) == 1
    frame = pl.DataFrame({"id": teen})
    assert frame.select(is_minor_id(pl.col("id"), AS_OF, under=18))["id"].to_list() == [True]


def test_flags_of_minor_ids_are_is_minor_id_of_every_value() -> None:
    # Only values whose birth digits say young are validated: the flags must be the same as
    # validating every value (children, adults, wrong check digits, 15-digit IDs, junk).
    rng = gen.seeded(11)
    values: list[str | None] = []
    for year in range(1950, 2026, 3):
        good = resident_id(dt.date(year, rng.randint(1, 12), rng.randint(1, 28)))
        values += [good, good[:-1] + ("0" if good[-1] != "0" else "1"), good.lower()]
    values += ["110105180101123", "310104760805748", "2019010112345678", "", " ", None, "x" * 18]
    ids = pl.Series("id", values)
    expected = pl.DataFrame({"id": ids}).select(is_minor_id(pl.col("id"), AS_OF)).to_series()
    flags = minor_id_flags(ids, AS_OF)
    assert flags.to_list() == expected.to_list()
    assert 0 < flags.sum() < len(values) // 3


@settings(deadline=None, max_examples=80)
# The day one turns ``under``, the day before, and a 29 February birthday in a common year.
@example(born=dt.date(2011, 6, 1), as_of=AS_OF, under=14, legacy=False)
@example(born=dt.date(2011, 6, 2), as_of=AS_OF, under=14, legacy=False)
@example(born=dt.date(2012, 2, 29), as_of=dt.date(2026, 2, 28), under=14, legacy=False)
@example(born=dt.date(2012, 2, 29), as_of=dt.date(2026, 3, 1), under=14, legacy=False)
@example(born=dt.date(1980, 6, 1), as_of=dt.date(1994, 6, 1), under=14, legacy=True)
@given(
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)),
    as_of=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)),
    under=st.integers(min_value=1, max_value=30),
    legacy=st.booleans(),
)
def test_younger_than_is_the_age_compared(
    born: dt.date, as_of: dt.date, under: int, legacy: bool
) -> None:
    from dataport.classify.minors import age_from_id, younger_than

    # Legacy 15-digit numbers carry a birth in the 1900s.
    value = f"110105{born:%y%m%d}123" if legacy else resident_id(born)
    frame = pl.DataFrame({"v": [value]})
    expected = frame.select(age_from_id(pl.col("v"), as_of) < under).item()
    assert frame.select(younger_than(pl.col("v"), as_of, under)).item() == expected
