"""Sexual orientation: sensitive under GB/T 35273 and the TC260 guide."""

from __future__ import annotations

from dataport.classify.detectors.base import Detector, Sensitivity, ValuePattern
from dataport.classify.vocabulary import alternation, vocabulary_file

_WORDS = vocabulary_file("sexual_orientation")

DETECTOR = Detector(
    category="sexual_orientation",
    label_zh="性取向",
    label_en="Sexual orientation",
    sensitivity=Sensitivity.SENSITIVE,
    basis="GB/T 35273-2020 Annex B; TC260-PG-20244A (敏感个人信息识别指南)",
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern("Chinese", alternation(_WORDS.words("orientations_zh")), 0.9),
        ValuePattern(
            "English",
            "(?i:" + alternation(_WORDS.words("orientations_en")) + ")",
            0.8,
            needs_context=True,
        ),
    ),
    header_score=0.85,
    requires="恋",
    max_chars=16,
)
