"""The shared normalisers give what their plain definitions give, on every layout of a column."""

from __future__ import annotations

import polars as pl
import pytest

from dataport.classify.detectors._forms import digits_only

VALUES = [
    "6222020200112233445",
    "138 1234 5678",
    "+86-138-1234-5678",
    "",
    "０１２３",  # full-width digits are digits (Unicode \d) and stay
    "电话13812345678",
    "12a34",
]


def plain(values: list[str | None]) -> list[str | None]:
    return pl.Series(values, dtype=pl.String).str.replace_all(r"\D", "").to_list()


@pytest.mark.parametrize(
    "values",
    [
        VALUES,
        ["13812345678", "6222020200112233445", "0", ""],  # all ASCII digits: kept as they are
        ["13812345678", None, "138-1234-5678"],
        [],
    ],
)
def test_digits_only_is_every_non_digit_removed(values: list[str | None]) -> None:
    frame = pl.DataFrame({"v": pl.Series(values, dtype=pl.String)})
    assert frame.select(digits_only(pl.col("v"))).to_series().to_list() == plain(values)


def test_digits_only_reads_slices_and_chunks_as_they_are() -> None:
    digits = [f"{n:011d}" for n in range(1000)]
    # A slice of digits inside a column that is not all digits, and the other way round.
    column = pl.Series("v", ["138-0000-0000", *digits, "x1"], dtype=pl.String)
    sliced = column.slice(1, 1000)
    assert sliced.to_frame().select(digits_only(pl.col("v"))).to_series().to_list() == digits
    chunked = pl.concat([column.slice(0, 500), column.slice(500)], rechunk=False)
    assert chunked.n_chunks() == 2
    result = chunked.to_frame().select(digits_only(pl.col("v"))).to_series().to_list()
    assert result == plain(column.to_list())
