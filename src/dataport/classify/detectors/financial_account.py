"""Financial accounts and property information (PIPL Art. 28), from what the column holds."""

from __future__ import annotations

from dataport.classify.detectors.base import Detector, Sensitivity
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("financial_account")

DETECTOR = Detector(
    category="financial_account",
    label_zh="金融账户及财产信息",
    label_en="Financial account and property information",
    sensitivity=Sensitivity.SENSITIVE,
    basis="PIPL Art. 28; GB/T 35273-2020 Annex B (personal property information)",
    vocabulary=_WORDS.columns,
    header_score=0.7,
)
