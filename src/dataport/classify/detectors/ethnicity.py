"""Ethnic group (民族): a specific identity in the sense of PIPL Art. 28."""

from __future__ import annotations

from dataport.classify.detectors.base import Detector, Sensitivity, ValuePattern
from dataport.classify.vocabulary import alternation, vocabulary_file

_WORDS = vocabulary_file("ethnicity")

#: The 56 recognised ethnic groups (GB/T 3304-1991), longest names first.
GROUPS = _WORDS.words("groups")
_GROUP = "(?:" + alternation(GROUPS) + ")"

DETECTOR = Detector(
    category="ethnicity",
    label_zh="民族",
    label_en="Ethnic group",
    sensitivity=Sensitivity.SENSITIVE,
    basis="PIPL Art. 28 (specific identity); GB/T 3304-1991",
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern("with 族", rf"{_GROUP}族", 0.9),
        # "汉", "回", "白" alone are everyday words: only in a column about ethnicity.
        ValuePattern("bare name", _GROUP, 0.8, needs_context=True),
    ),
    header_score=0.75,
    requires="族",
    max_chars=16,
)
