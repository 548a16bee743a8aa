"""Medical and health information (PIPL Art. 28)."""

from __future__ import annotations

from dataport.classify.detectors._forms import HAN
from dataport.classify.detectors.base import Detector, Sensitivity, ValuePattern
from dataport.classify.vocabulary import alternation, vocabulary_file

_WORDS = vocabulary_file("health")

#: Diagnoses and conditions that name a person's health when they fill a cell.
CONDITIONS = _WORDS.words("conditions")
_CONDITION = "(?:" + alternation(CONDITIONS) + ")"

DETECTOR = Detector(
    category="health",
    label_zh="医疗健康信息",
    label_en="Medical and health information",
    sensitivity=Sensitivity.SENSITIVE,
    basis="PIPL Art. 28; GB/T 35273-2020 Annex B (health and physiology)",
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern(
            "condition",
            rf"[{HAN}0-9A-Za-z]{{0,8}}{_CONDITION}[{HAN}0-9A-Za-z()（）]{{0,8}}",
            0.75,
        ),
        # ICD-10 codes (E11.9) look like any short code outside a diagnosis column.
        ValuePattern("ICD-10 code", r"[A-TV-Z]\d{2}(?:\.\d{1,4})?", 0.7, needs_context=True),
    ),
    header_score=0.75,
    requires=r"[\x{3400}-\x{9fff}]|HIV|COVID",
    max_chars=40,
)
