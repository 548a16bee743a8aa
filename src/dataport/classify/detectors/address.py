"""Chinese postal addresses precise enough to find a home: division, street, house number."""

from __future__ import annotations

import polars as pl

from dataport.classify import masking
from dataport.classify.detectors._forms import HAN
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import alternation, vocabulary_file

_WORDS = vocabulary_file("address")

_DIVISION = "(?:" + alternation(_WORDS.words("division_suffixes")) + ")"
_STREET = "(?:" + alternation(_WORDS.words("street_suffixes")) + ")"
_HOUSE = r"[0-9０-９A-Za-z一二三四五六七八九十百零〇\-]{1,8}(?:号|座|栋|幢|单元|室|楼|弄|组|层)"
_BODY = rf"[{HAN}0-9A-Za-z\-]"

#: A division, then a street-level place, then a house number. A company name with a city
#: ("上海市某某科技有限公司") or a district alone is not an address of a person. The parts
#: between are unbounded (bounded repetitions of CJK classes made this regex 40 times slower)
#: but stop at any space or punctuation; ``_MAX_LENGTH`` bounds the whole.
FULL = rf"[{HAN}]{{1,12}}?{_DIVISION}{_BODY}*?{_STREET}{_BODY}*?{_HOUSE}"
#: Street and house number without the division, as in a "street address" column.
STREET_ONLY = rf"[{HAN}]{{1,10}}?{_STREET}{_BODY}*?{_HOUSE}"
_MAX_LENGTH = 64


def _not_too_long(value: pl.Expr) -> pl.Expr:
    # Past this an unpunctuated run of text has swallowed more than one address.
    return value.str.len_chars() <= _MAX_LENGTH


DETECTOR = Detector(
    category="address",
    label_zh="详细地址",
    label_en="Postal address",
    sensitivity=Sensitivity.PERSONAL,
    basis="GB/T 35273-2020 Annex A (personal basic information: address)",
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern("division + street + number", FULL, 0.85),
        ValuePattern("street + number", STREET_ONLY, 0.6, needs_context=True),
    ),
    scope=Scope.TEXT,
    candidate=f"{FULL}|{STREET_ONLY}",
    normalise=lambda v: v.str.strip_chars(),
    requires="[号座栋幢元室楼弄组层]",
    validator=_not_too_long,
    mask=masking.address,
)
