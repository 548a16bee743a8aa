"""Unified social credit codes of organisations (GB 32100)."""

from __future__ import annotations

from dataport.classify import checksums, masking
from dataport.classify.detectors._forms import EDGE, compact_upper
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("cn_uscc")

DETECTOR = Detector(
    category="cn_uscc",
    label_zh="统一社会信用代码",
    label_en="Unified social credit code",
    # It names an organisation; for an individual business (type 92) it leads to a person,
    # which grading rules may weigh, but the code itself is public registration data.
    sensitivity=Sensitivity.NOT_PERSONAL,
    basis="GB 32100-2015",
    vocabulary=_WORDS.columns,
    patterns=(ValuePattern("18 characters", r"[1-9AGJNY][1-9]\d{6}[0-9A-HJ-NPQRTUWXY]{10}", 0.95),),
    scope=Scope.TEXT,
    candidate=rf"{EDGE}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{{18}}{EDGE}",
    normalise=compact_upper,
    whole=r"[1-9AGJNY][1-9][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}",
    requires=r"[0-9A-Za-z]{17}",
    validator=checksums.is_uscc,
    chance=1 / 31,
    yields_to=("cn_resident_id", "foreigner_permanent_id"),
    mask=lambda v: masking.keep_ends(v, 8, 1),
)
