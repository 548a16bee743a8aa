"""Dates of birth, in columns that say they hold them."""

from __future__ import annotations

import polars as pl

from dataport.classify import checksums, masking
from dataport.classify.clock import china_today
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("birth_date")

_TIME = r"(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"


def _as_number(value: pl.Expr) -> pl.Expr:
    """``YYYYMMDD`` as an integer from any of the accepted forms (null if none)."""
    parts = value.str.extract_groups(r"^(\d{4})\D?(\d{1,2})\D?(\d{1,2})")
    year = parts.struct.field("1").str.to_integer(strict=False)
    month = parts.struct.field("2").str.to_integer(strict=False)
    day = parts.struct.field("3").str.to_integer(strict=False)
    return year * 10_000 + month * 100 + day


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
    normalise=lambda v: v.str.strip_chars(),
    requires=r"\d{2}",
    max_chars=32,
    validator=_plausible_birth,
    mask=masking.date_keep_year,
)
