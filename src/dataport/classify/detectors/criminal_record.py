"""Criminal records (违法犯罪记录): sensitive under GB/T 35273 and the TC260 guide."""

from __future__ import annotations

from dataport.classify.detectors._forms import HAN
from dataport.classify.detectors.base import Detector, Sensitivity, ValuePattern
from dataport.classify.vocabulary import alternation, vocabulary_file

_WORDS = vocabulary_file("criminal_record")

_TERMS = alternation(_WORDS.words("terms"))

DETECTOR = Detector(
    category="criminal_record",
    label_zh="违法犯罪记录",
    label_en="Criminal record",
    sensitivity=Sensitivity.SENSITIVE,
    basis="GB/T 35273-2020 Annex B; TC260-PG-20244A (敏感个人信息识别指南)",
    vocabulary=_WORDS.columns,
    patterns=(ValuePattern("record", rf"[{HAN}0-9]{{0,12}}(?:{_TERMS})[{HAN}0-9]{{0,12}}", 0.75),),
    header_score=0.8,
    requires=r"[\x{3400}-\x{9fff}]",
    max_chars=48,
)
