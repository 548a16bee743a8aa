"""Foreigner permanent residence ID cards (外国人永久居留身份证), 2023 and earlier forms."""

from __future__ import annotations

import polars as pl

from dataport.classify import checksums, masking
from dataport.classify.clock import china_today
from dataport.classify.detectors._forms import EDGE
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("foreigner_permanent_id")


def _valid(value: pl.Expr) -> pl.Expr:
    return checksums.is_foreigner_permanent_id(value, latest=china_today())


DETECTOR = Detector(
    category="foreigner_permanent_id",
    label_zh="外国人永久居留身份证号码",
    label_en="Foreigner permanent residence ID number",
    sensitivity=Sensitivity.SENSITIVE,
    basis="NIA 2023 numbering (MOD 11-2 as GB 11643); earlier 15-character form (7-3-1 mod 10)",
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern("2023 18-digit form", r"9\d{16}[\dX]", 0.95, lengths=(18,)),
        ValuePattern("15-character form", r"[A-Z]{3}\d{12}", 0.85, lengths=(15,)),
    ),
    scope=Scope.TEXT,
    candidate=rf"{EDGE}(?:9\d{{16}}[\dXx]|[A-Za-z]{{3}}\d{{12}}){EDGE}",
    normalise=lambda v: v.str.strip_chars().str.to_uppercase(),
    requires=r"\d{12}",
    validator=_valid,
    chance=0.01,
    mask=lambda v: masking.keep_ends(v, 6, 2),
)
