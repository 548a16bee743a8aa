"""Hong Kong identity card numbers: one or two letters, six digits and a mod-11 check character."""

from __future__ import annotations

import polars as pl

from dataport.classify import masking
from dataport.classify.detectors._forms import EDGE
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("hk_id_card")

#: Letters count from 10 (A) to 35 (Z); the blank before a single letter counts 36.
_LETTER_VALUES = {chr(ord("A") + i): 10 + i for i in range(26)} | {" ": 36}
#: Weights of the eight characters before the check character, from the left.
_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def _normalise(value: pl.Expr) -> pl.Expr:
    # "a 123456 (3)" and full-width "A123456（3）" → "A123456(3)".
    return (
        value.str.replace_all(r"[\s\-.·]", "")
        .str.replace_all("（", "(")
        .str.replace_all("）", ")")
        .str.to_uppercase()
    )


def check_passes(value: pl.Expr) -> pl.Expr:
    """Whether the weighted sum of letters, digits and check character is a multiple of 11."""
    body = value.str.replace_all(r"[()]", "")
    nine = pl.when(body.str.len_chars() == 8).then(pl.concat_str(pl.lit(" "), body)).otherwise(body)
    total: pl.Expr = pl.lit(0, dtype=pl.Int64)
    for position, weight in enumerate(_WEIGHTS):
        char = nine.str.slice(position, 1)
        number = (
            char.replace_strict(_LETTER_VALUES, default=None, return_dtype=pl.Int64)
            if position < 2
            else char.str.to_integer(strict=False)
        )
        total = total + number * weight
    last = nine.str.slice(8, 1)
    check = (
        pl.when(last == "A")
        .then(pl.lit(10, dtype=pl.Int64))
        .otherwise(last.str.to_integer(strict=False))
    )
    return (((total + check) % 11) == 0).fill_null(False)


DETECTOR = Detector(
    category="hk_id_card",
    label_zh="香港居民身份证号码",
    label_en="Hong Kong identity card number",
    sensitivity=Sensitivity.SENSITIVE,
    basis="Registration of Persons Regulations (Cap. 177A, Hong Kong); GB/T 35273-2020 Annex B",
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern("with the check character in brackets", r"[A-Z]{1,2}\d{6}\([0-9A]\)", 0.9),
        # A letter and seven characters is also a common shape of serial numbers.
        ValuePattern("without brackets", r"[A-Z]{1,2}\d{6}[0-9A]", 0.75, needs_context=True),
    ),
    scope=Scope.TEXT,
    # The bracketed form ends with ")", after which no ASCII word boundary need follow.
    candidate=(rf"{EDGE}[A-Za-z]{{1,2}} ?\d{{6}}(?: ?[(（][0-9Aa][)）]|[0-9Aa]{EDGE})"),
    normalise=_normalise,
    requires=r"\d{6}",
    validator=check_passes,
    chance=1 / 11,
    mask=lambda v: masking.keep_ends(v, 1, 3),
)
