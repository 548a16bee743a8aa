"""Taiwan national identification numbers (國民身分證統一編號): a letter, 1 or 2, eight digits."""

from __future__ import annotations

import polars as pl

from dataport.classify import masking
from dataport.classify.detectors._forms import EDGE, compact_upper
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("taiwan_id_card")

#: The two-digit number of each first letter (the county or city of first registration): the
#: alphabet from 10, with I, O, W, Z and X, Y placed out of order as the letters were added.
LETTER_CODES = {
    **{letter: 10 + i for i, letter in enumerate("ABCDEFGH")},
    **{letter: 18 + i for i, letter in enumerate("JKLMN")},
    **{letter: 23 + i for i, letter in enumerate("PQRSTUV")},
    "X": 30,
    "Y": 31,
    "W": 32,
    "Z": 33,
    "I": 34,
    "O": 35,
}
#: Weights of the letter's tens and units digits, then of the nine digits after the letter.
_WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)


def check_passes(value: pl.Expr) -> pl.Expr:
    """Whether the weighted digit sum (letter as two digits) is a multiple of 10."""
    code = value.str.slice(0, 1).replace_strict(LETTER_CODES, default=None, return_dtype=pl.Int64)
    digits = [code // 10, code % 10]
    digits += [value.str.slice(i, 1).str.to_integer(strict=False) for i in range(1, 10)]
    total: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for digit, weight in zip(digits, _WEIGHTS, strict=True):
        total = total + digit * weight
    return ((total % 10) == 0).fill_null(False)


DETECTOR = Detector(
    category="taiwan_id_card",
    label_zh="台湾居民身份证号码",
    label_en="Taiwan national identification number",
    sensitivity=Sensitivity.SENSITIVE,
    basis=(
        "Household Registration Act (Taiwan; 國民身分證統一編號, mod-10 check); "
        "GB/T 35273-2020 Annex B"
    ),
    vocabulary=_WORDS.columns,
    patterns=(
        # Second character: 1 male, 2 female; 8 and 9 are the uniform numbers of foreign
        # residents issued since 2021, with the same check.
        ValuePattern("letter + 9 digits", r"[A-Z][1289]\d{8}", 0.85),
    ),
    scope=Scope.TEXT,
    candidate=rf"{EDGE}[A-Za-z]\d{{9}}{EDGE}",
    normalise=compact_upper,
    requires=r"\d{9}",
    validator=check_passes,
    chance=0.1,
    mask=lambda v: masking.keep_ends(v, 1, 2),
)
