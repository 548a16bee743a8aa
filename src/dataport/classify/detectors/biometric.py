"""Biometric data (PIPL Art. 28): known from what the column says it holds."""

from __future__ import annotations

from dataport.classify.detectors.base import Detector, Sensitivity
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("biometric")

DETECTOR = Detector(
    category="biometric",
    label_zh="生物识别信息",
    label_en="Biometric data",
    sensitivity=Sensitivity.SENSITIVE,
    basis="PIPL Art. 28; GB/T 35273-2020 Annex B; GB/T 45574-2025 Annex A (faces)",
    vocabulary=_WORDS.columns,
    # Feature vectors and images carry no recognisable text, so the header is the evidence.
    header_score=0.8,
)
