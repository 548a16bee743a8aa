"""Macau resident identity card numbers: 1, 5 or 7, six digits and a check digit."""

from __future__ import annotations

import polars as pl

from dataport.classify import masking
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("macau_id_card")


def _normalise(value: pl.Expr) -> pl.Expr:
    # The card prints 1234567(8); older cards 1/234567/8.
    return (
        value.str.replace_all(r"[\s\-.·]", "").str.replace_all("（", "(").str.replace_all("）", ")")
    )


DETECTOR = Detector(
    category="macau_id_card",
    label_zh="澳门居民身份证号码",
    label_en="Macau resident identity card number",
    sensitivity=Sensitivity.SENSITIVE,
    basis="Macau SAR Law 8/2002 (居民身份證制度); GB/T 35273-2020 Annex B (identity documents)",
    vocabulary=_WORDS.columns,
    # The first digit tells when the number was first issued (1 since 1992, 5 former Portuguese
    # identity cards, 7 former blue cards). The check digit's algorithm is not published, so
    # the form is all there is: the bracketed or slashed forms are distinctive, 8 bare digits
    # are not.
    patterns=(
        ValuePattern("bracketed check digit", r"[157]\d{6}\(\d\)", 0.75),
        ValuePattern("slashed (older cards)", r"[157]/\d{6}/\d", 0.75),
        ValuePattern("8 digits", r"[157]\d{7}", 0.6, needs_context=True),
    ),
    scope=Scope.CELL,
    normalise=_normalise,
    # Without a column name that speaks of the card, only the bracketed and slashed forms
    # count: six digits, then a bracket or slash.
    requires=r"(?s)\d{6}.*[(（/]",
    max_chars=16,
    mask=lambda v: masking.keep_ends(v, 1, 3),
)
