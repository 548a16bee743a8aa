"""Whereabouts and movement tracks (行踪轨迹, PIPL Art. 28)."""

from __future__ import annotations

from dataport.classify.detectors.base import Detector, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("location_trace")

_POINT = r"-?\d{1,3}\.\d{3,}\s*,\s*-?\d{1,3}\.\d{3,}"

DETECTOR = Detector(
    category="location_trace",
    label_zh="行踪轨迹",
    label_en="Whereabouts and movement tracks",
    sensitivity=Sensitivity.SENSITIVE,
    basis="PIPL Art. 28 (行踪轨迹); GB/T 35273-2020 Annex B",
    vocabulary=_WORDS.columns,
    # Several coordinate pairs in one cell: a recorded path.
    patterns=(ValuePattern("coordinate sequence", rf"(?:{_POINT}\s*[;|]\s*)+{_POINT}", 0.85),),
    header_score=0.8,
    requires=r"\d\.\d{3}",
)
