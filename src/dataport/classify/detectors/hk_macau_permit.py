"""Travel permits between the mainland and Hong Kong / Macau (回乡证 and 往来港澳通行证)."""

from __future__ import annotations

from dataport.classify import masking
from dataport.classify.detectors._forms import compact_upper
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("hk_macau_permit")

DETECTOR = Detector(
    category="hk_macau_permit",
    label_zh="港澳通行证件号码",
    label_en="Hong Kong / Macau travel permit number",
    sensitivity=Sensitivity.SENSITIVE,
    basis="Exit and Entry Administration Law; GB/T 35273-2020 Annex B (identity documents)",
    vocabulary=_WORDS.columns,
    patterns=(
        # Home-return permit: H (Hong Kong) or M (Macau), 8 digits, optional 2-digit reissue count.
        ValuePattern("home-return permit", r"[HM]\d{8}(?:\d{2})?", 0.65),
        # Mainland residents' exit-entry permit (electronic): C + letter or digit + 7 digits.
        ValuePattern("exit-entry permit", r"C[0-9A-HJ-NP-Z]\d{7}", 0.6, needs_context=True),
    ),
    scope=Scope.CELL,
    normalise=compact_upper,
    # Without a column name that speaks of permits, only H or M and digits count (see
    # passport.py).
    requires=r"(?s)[HMhm].*\d{3}[\s\-.·]?\d{3}",
    max_chars=20,
    mask=lambda v: masking.keep_ends(v, 1, 2),
)
