"""Mainland fixed-line numbers with their area code."""

from __future__ import annotations

import polars as pl

from dataport.classify import masking
from dataport.classify.detectors._forms import EDGE
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("cn_landline")


def _normalise(value: pl.Expr) -> pl.Expr:
    # "(010) 12345678" → "010-12345678"; the hyphen after the area code is kept when present.
    return value.str.replace_all(r"[()\s]", "-").str.replace_all(r"-+", "-").str.strip_chars("-")


DETECTOR = Detector(
    category="cn_landline",
    label_zh="固定电话号码",
    label_en="Mainland landline number",
    sensitivity=Sensitivity.PERSONAL,
    basis="MIIT numbering plan: 3-digit area codes 010/02x with 8-digit numbers, 4-digit codes",
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern("010/02x + 8 digits", r"0(?:10|2\d)-?[2-8]\d{7}(?:-\d{1,5})?", 0.75),
        ValuePattern("4-digit area code", r"0[3-9]\d{2}-?[2-8]\d{6,7}(?:-\d{1,5})?", 0.7),
    ),
    scope=Scope.TEXT,
    candidate=rf"(?:\(0\d{{2,3}}\)|{EDGE}0\d{{2,3}})[- ]?[2-9]\d{{6,7}}(?:-\d{{1,5}})?{EDGE}",
    normalise=_normalise,
    requires=r"\d{6}",
    chance=0.3,
    mask=lambda v: masking.keep_ends(v, 4, 2),
    dense_numbers_are_ids=True,
)
