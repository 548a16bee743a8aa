"""Personal information of minors under 14 (PIPL Art. 28 and Art. 31).

Found from column names here; the scanner also derives it from birth dates in ID numbers.
"""

from __future__ import annotations

from dataport.classify.detectors.base import Detector, Sensitivity
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("minor")

DETECTOR = Detector(
    category="minor",
    label_zh="不满十四周岁未成年人个人信息",
    label_en="Personal information of minors under 14",
    sensitivity=Sensitivity.SENSITIVE,
    basis="PIPL Art. 28 and Art. 31",
    vocabulary=_WORDS.columns,
    header_score=0.75,
)
