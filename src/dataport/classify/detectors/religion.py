"""Religious belief (PIPL Art. 28)."""

from __future__ import annotations

from dataport.classify.detectors.base import Detector, Sensitivity, ValuePattern
from dataport.classify.vocabulary import alternation, vocabulary_file

_WORDS = vocabulary_file("religion")

_FAITHS_ZH = alternation(_WORDS.words("faiths_zh"))
_BELIEVER = alternation(_WORDS.words("believer_suffixes"))
_FAITHS_EN = "(?i:" + alternation(_WORDS.words("faiths_en")) + ")"

DETECTOR = Detector(
    category="religion",
    label_zh="宗教信仰",
    label_en="Religious belief",
    sensitivity=Sensitivity.SENSITIVE,
    basis="PIPL Art. 28",
    vocabulary=_WORDS.columns,
    patterns=(
        ValuePattern("Chinese", rf"(?:{_FAITHS_ZH})(?:{_BELIEVER})?", 0.85),
        # "Christian" is also a given name: English values count in a religion column only.
        ValuePattern("English", _FAITHS_EN, 0.75, needs_context=True),
    ),
    header_score=0.75,
    requires=r"[\x{3400}-\x{9fff}]",
    max_chars=16,
)
