"""Religious belief (PIPL Art. 28)."""

from __future__ import annotations

from dataport.classify.detectors.base import Detector, Sensitivity, ValuePattern, Vocabulary

_FAITHS_ZH = (
    "藏传佛教|佛教|道教|伊斯兰教|基督教|天主教|东正教|新教|犹太教|印度教|喇嘛教"
    "|无宗教信仰|无宗教|无信仰"
)
_FAITHS_EN = (
    r"(?i:buddhis[mt]|taois[mt]|islam|muslim|christian(?:ity)?|catholic(?:ism)?|protestant"
    r"|orthodox|judaism|jewish|hindu(?:ism)?|atheist|none)"
)

DETECTOR = Detector(
    category="religion",
    label_zh="宗教信仰",
    label_en="Religious belief",
    sensitivity=Sensitivity.SENSITIVE,
    basis="PIPL Art. 28",
    vocabulary=Vocabulary(
        zh=("宗教", "信仰", "教派"),
        latin=("religion", "religious", "faith", "belief", "zjxy"),
    ),
    patterns=(
        ValuePattern("Chinese", rf"(?:{_FAITHS_ZH})(?:徒|信徒|信仰)?", 0.85),
        # "Christian" is also a given name: English values count in a religion column only.
        ValuePattern("English", _FAITHS_EN, 0.75, needs_context=True),
    ),
    header_score=0.75,
    requires=r"[\x{3400}-\x{9fff}]",
    max_chars=16,
)
