"""Personal information of minors under 14 (PIPL Art. 28 and Art. 31).

Found from column names here; the scanner also derives it from birth dates in ID numbers.
"""

from __future__ import annotations

from dataport.classify.detectors.base import Detector, Sensitivity, Vocabulary

DETECTOR = Detector(
    category="minor",
    label_zh="不满十四周岁未成年人个人信息",
    label_en="Personal information of minors under 14",
    sensitivity=Sensitivity.SENSITIVE,
    basis="PIPL Art. 28 and Art. 31",
    vocabulary=Vocabulary(
        zh=(
            "未成年",
            "儿童",
            "少儿",
            "幼儿",
            "婴儿",
            "小学生",
            "初中生",
            "中学生",
            "监护人",
            "幼儿园",
        ),
        latin=("minor", "minors", "kid", "kids", "juvenile", "infant", "guardian", "pupil"),
    ),
    header_score=0.75,
)
