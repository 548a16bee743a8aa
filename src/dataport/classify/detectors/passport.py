"""Passports of the People's Republic of China (ordinary, official, HKSAR and Macau SAR)."""

from __future__ import annotations

from dataport.classify import masking
from dataport.classify.detectors._forms import compact_upper
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("passport")

DETECTOR = Detector(
    category="passport",
    label_zh="护照号码",
    label_en="Passport number",
    sensitivity=Sensitivity.SENSITIVE,
    basis="PRC Passport Law; GB/T 35273-2020 Annex B (identity documents)",
    vocabulary=_WORDS.columns,
    patterns=(
        # Ordinary e-passports since 2012: E + 8 digits, then E + letter + 7 digits.
        ValuePattern("ordinary e-passport", r"E\d{8}|E[A-HJ-NP-Z]\d{7}", 0.65),
        # Older G series, diplomatic/service/public-affairs (D, S, P, DE, SE, PE), HKSAR (K, KJ),
        # Macau (MA) and the 14/15 series: shapes common among product and serial codes.
        ValuePattern(
            "other series",
            r"[GDSPK]\d{8}|(?:[DSP]E|KJ|MA)\d{7}|1[45]\d{7}",
            0.6,
            needs_context=True,
        ),
    ),
    scope=Scope.CELL,
    normalise=compact_upper,
    # Without a column name that speaks of passports, only the E series counts: its letter
    # comes first, so a column of bare numbers is never normalised to find none.
    requires=r"(?s)[Ee].*\d{3}[\s\-.·]?\d{3}",
    max_chars=20,
    mask=lambda v: masking.keep_ends(v, 2, 2),
)
