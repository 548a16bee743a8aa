"""Resident identity numbers (GB 11643) and the HK/Macau/Taiwan residence permits sharing them."""

from __future__ import annotations

import polars as pl

from dataport.classify import checksums, masking
from dataport.classify.clock import china_today
from dataport.classify.detectors._forms import EDGE
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("cn_resident_id")


def _normalise(value: pl.Expr) -> pl.Expr:
    # Candidates are digits and an X (the candidate pattern holds no space): only its case.
    return value.str.to_uppercase()


def _valid(value: pl.Expr) -> pl.Expr:
    today = china_today()
    return checksums.is_any_resident_id(value, latest=today)


DETECTOR = Detector(
    category="cn_resident_id",
    label_zh="居民身份证号码",
    label_en="Resident identity card number",
    sensitivity=Sensitivity.SENSITIVE,
    basis="GB 11643-1999; GB/T 35273-2020 Annex B (identity documents)",
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern("18-digit (GB 11643-1999)", r"\d{17}[\dX]", 0.97, lengths=(18,)),
        # No check digit: only birth date and region speak for it.
        ValuePattern("15-digit (GB 11643-1989)", r"\d{15}", 0.7, lengths=(15,)),
    ),
    scope=Scope.TEXT,
    candidate=rf"{EDGE}(?:\d{{17}}[\dXx]|\d{{15}}){EDGE}",
    normalise=_normalise,
    requires=r"\d{15}",
    whole=r"[0-9]{17}[0-9X]|[0-9]{15}",
    validator=_valid,
    # 18 random digits pass region, date and check about 1 time in 60,000; the 15-digit form
    # about 1 in 80. Rounded up, since real look-alikes are not random.
    chance=0.01,
    mask=lambda v: masking.keep_ends(v, 6, 4),
)
