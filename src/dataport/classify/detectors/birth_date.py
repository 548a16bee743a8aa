"""Dates of birth, in columns that say they hold them."""

from __future__ import annotations

import numpy as np
import polars as pl

from dataport.classify import checksums, masking
from dataport.classify.clock import china_today
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("birth_date")

_VALUE = "value"
_TIME = r"(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"


#: The forms that dominate real columns, read by position (``2024-01-05``, ``20240105``):
#: one anchored test and three slices instead of a regex with groups.
_FIXED_FORMS = ((r"^\d{4}\D\d{2}\D\d{2}", (0, 5, 8)), (r"^\d{8}", (0, 4, 6)))


def _by_groups(value: pl.Expr) -> pl.Expr:
    parts = value.str.extract_groups(r"^(\d{4})\D?(\d{1,2})\D?(\d{1,2})")
    year = parts.struct.field("1").str.to_integer(strict=False)
    month = parts.struct.field("2").str.to_integer(strict=False)
    day = parts.struct.field("3").str.to_integer(strict=False)
    return year * 10_000 + month * 100 + day


def _by_position(value: pl.Expr, starts: tuple[int, int, int]) -> pl.Expr:
    year, month, day = (
        value.str.slice(start, width).str.to_integer(strict=False)
        for start, width in zip(starts, (4, 2, 2), strict=True)
    )
    return year * 10_000 + month * 100 + day


def _numbers(values: pl.Series) -> pl.Series:
    frame = pl.DataFrame({_VALUE: values})
    value = pl.col(_VALUE)
    result = pl.Series(values.name, [None] * len(values), dtype=pl.Int64)
    rest = values.is_not_null()
    for shape, starts in _FIXED_FORMS:
        if not rest.any():
            return result
        fits = rest & values.str.contains(shape).fill_null(False)
        if fits.any():
            # Slicing every value is cheaper than filtering the ones that fit first.
            result = frame.select(_by_position(value, starts)).to_series().zip_with(fits, result)
            rest = rest & ~fits
    if rest.any():
        others = frame.filter(rest).select(_by_groups(value)).to_series()
        result = result.scatter(np.flatnonzero(rest.to_numpy()), others)
    return result


def _as_number(value: pl.Expr) -> pl.Expr:
    """``YYYYMMDD`` as an integer from any of the accepted forms (null if none)."""
    return value.map_batches(_numbers, return_dtype=pl.Int64, is_elementwise=True)


def _plausible_birth(value: pl.Expr) -> pl.Expr:
    # Integer checks, not date parsing: several times cheaper on a column of dates.
    return checksums.yyyymmdd_valid(_as_number(value), latest=china_today())


DETECTOR = Detector(
    category="birth_date",
    label_zh="出生日期",
    label_en="Date of birth",
    sensitivity=Sensitivity.PERSONAL,
    basis="GB/T 35273-2020 Annex A (personal basic information: birthday)",
    vocabulary=_WORDS.columns,
    # Dates are everywhere (orders, logs); only the column name makes one a birthday.
    patterns=(
        ValuePattern(
            "ISO / slashed / dotted", rf"\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}{_TIME}", 0.85, True
        ),
        ValuePattern("compact", r"\d{8}", 0.8, needs_context=True),
        ValuePattern("Chinese", r"\d{4}年\d{1,2}月\d{1,2}日", 0.85, needs_context=True),
    ),
    scope=Scope.CELL,
    requires=r"\d{2}",
    max_chars=32,
    validator=_plausible_birth,
    mask=masking.date_keep_year,
)
