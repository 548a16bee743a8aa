"""Geographic coordinates: latitude/longitude pairs, or single values in named columns."""

from __future__ import annotations

import polars as pl

from dataport.classify import masking
from dataport.classify.detectors._forms import first_number, last_number
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("gps_coordinate")

# Three or more decimals (about 100 m) is a position; prices and ratios rarely carry that many.
_NUMBER = r"-?\d{1,3}\.\d{3,}"


def _in_range(value: pl.Expr) -> pl.Expr:
    first, last = first_number(value).abs(), last_number(value).abs()
    # Pairs are written latitude first (GPS) or longitude first (AMap, Baidu): accept both.
    pair_ok = ((first <= 90) & (last <= 180)) | ((first <= 180) & (last <= 90))
    return pair_ok & (first > 0) & (last > 0)


DETECTOR = Detector(
    category="gps_coordinate",
    label_zh="经纬度坐标",
    label_en="GPS coordinate",
    # A precise position of a person is whereabouts (行踪) in PIPL Art. 28.
    sensitivity=Sensitivity.SENSITIVE,
    basis="PIPL Art. 28 (whereabouts); GB/T 35273-2020 Annex B (precise location)",
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern("pair", rf"{_NUMBER}\s*[,，;/ ]\s*{_NUMBER}", 0.75),
        ValuePattern("single value", _NUMBER, 0.65, needs_context=True),
    ),
    scope=Scope.CELL,
    normalise=lambda v: v.str.strip_chars().str.strip_chars("()[]（）"),
    requires=r"\d\.\d{3}",
    max_chars=64,
    validator=_in_range,
    mask=masking.coordinate,
)
