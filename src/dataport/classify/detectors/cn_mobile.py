"""Mainland mobile numbers, with the number segments in use today."""

from __future__ import annotations

import polars as pl

from dataport.classify import masking
from dataport.classify.detectors._forms import EDGE, digits_only
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("cn_mobile")

#: Segments allocated by MIIT for 11-digit subscriber numbers (voice and data cards), including
#: the newer 162/165/167 (virtual operators), 190/192/196/197 and 199. The IoT segments 140, 141
#: and 144 carry 13-digit numbers; 154, 179 and 194 are unallocated.
SEGMENTS = r"1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])"
_WHOLE = SEGMENTS.replace(r"\d", "[0-9]") + "[0-9]{8}"


def _normalise(value: pl.Expr) -> pl.Expr:
    # +86 / 0086 / 86 prefixes and separators go; the subscriber number is the last 11 digits.
    return digits_only(value).str.slice(-11)


DETECTOR = Detector(
    category="cn_mobile",
    label_zh="手机号码",
    label_en="Mainland mobile number",
    sensitivity=Sensitivity.PERSONAL,
    basis="MIIT numbering plan (电信网编号计划); GB/T 35273-2020 Annex A",
    vocabulary=_WORDS.columns,
    patterns=(ValuePattern("11-digit mobile", rf"{SEGMENTS}\d{{8}}", 0.9),),
    scope=Scope.TEXT,
    candidate=(
        rf"(?:\+86[- ]?|{EDGE}(?:0086|86)[- ]?|{EDGE})1\d{{2}}[- ]?\d{{4}}[- ]?\d{{4}}{EDGE}"
    ),
    normalise=_normalise,
    requires=r"\d{4}",
    whole=_WHOLE,
    # About 56 of the 100 three-digit prefixes 10x-19x are in use.
    chance=0.56,
    mask=lambda v: masking.keep_ends(v, 3, 4),
    dense_numbers_are_ids=True,
)
