"""Motor-vehicle licence plates (GA 36-2018), including 8-character new-energy plates."""

from __future__ import annotations

import polars as pl

from dataport.classify import masking
from dataport.classify.detectors._forms import EDGE
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("cn_license_plate")

#: Province abbreviations, as one character class body.
PROVINCES = "".join(_WORDS.words("provinces"))
_SPECIAL_LAST = "".join(_WORDS.words("special_suffixes"))
_LETTER = "A-HJ-NP-Z"  # plates never use I or O
_SEP = r"[·•\-\s.]?"

_NEW_ENERGY = rf"[{PROVINCES}][{_LETTER}](?:\d{{5}}[A-HJK]|[A-HJK][{_LETTER}0-9]\d{{4}})"
_ORDINARY = rf"[{PROVINCES}][{_LETTER}][{_LETTER}0-9]{{4}}[{_LETTER}0-9]"
_SPECIAL = rf"[{PROVINCES}][{_LETTER}][{_LETTER}0-9]{{4}}[{_SPECIAL_LAST}]"


def _normalise(value: pl.Expr) -> pl.Expr:
    return value.str.replace_all(r"[·•\-\s.]", "").str.to_uppercase()


def _few_letters(value: pl.Expr) -> pl.Expr:
    # Serials hold at most a few letters; "京ABCDEF" is a word, not a plate.
    return value.str.slice(2).str.count_matches(rf"[{_LETTER}]") <= 3


DETECTOR = Detector(
    category="cn_license_plate",
    label_zh="机动车号牌",
    label_en="Licence plate",
    sensitivity=Sensitivity.PERSONAL,
    basis="GA 36-2018; new-energy plates per the 2016 MPS pilot (D/F and later A-K energy letters)",
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern("new-energy (8)", _NEW_ENERGY, 0.92),
        ValuePattern("ordinary (7)", _ORDINARY, 0.9),
        ValuePattern("trailer/coach/police/HK/Macau", _SPECIAL, 0.9),
    ),
    scope=Scope.TEXT,
    # New-energy first: leftmost-first alternation would otherwise cut 8 characters to 7.
    candidate=(
        rf"[{PROVINCES}][{_LETTER}]{_SEP}"
        rf"(?:(?:\d{{5}}[A-HJK]|[A-HJK][{_LETTER}0-9]\d{{4}}|[{_LETTER}0-9]{{5}}){EDGE}"
        rf"|[{_LETTER}0-9]{{4}}[{_SPECIAL_LAST}])"
    ),
    normalise=_normalise,
    validator=_few_letters,
    mask=lambda v: masking.keep_ends(v, 2, 1),
)
