"""Mainland travel permits for Taiwan residents (台胞证)."""

from __future__ import annotations

from dataport.classify import masking
from dataport.classify.detectors._forms import compact_upper
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("taiwan_permit")

DETECTOR = Detector(
    category="taiwan_permit",
    label_zh="台湾居民来往大陆通行证号码",
    label_en="Taiwan residents' mainland travel permit number",
    sensitivity=Sensitivity.SENSITIVE,
    basis="Exit and Entry Administration Law; GB/T 35273-2020 Annex B (identity documents)",
    vocabulary=_WORDS.columns,
    patterns=(
        # 8 digits and an optional 2-digit reissue count: no check digit, no prefix, so only a
        # column that says what it holds can be believed.
        ValuePattern("8 or 10 digits", r"\d{8}(?:\d{2})?", 0.6, needs_context=True),
    ),
    scope=Scope.CELL,
    normalise=compact_upper,
    requires=r"\d{3}[\s\-.·]?\d{3}",
    max_chars=20,
    mask=lambda v: masking.keep_ends(v, 2, 2),
)
