"""Sexual orientation: sensitive under GB/T 35273 and the TC260 guide."""

from __future__ import annotations

from dataport.classify.detectors.base import Detector, Sensitivity, ValuePattern, Vocabulary

DETECTOR = Detector(
    category="sexual_orientation",
    label_zh="性取向",
    label_en="Sexual orientation",
    sensitivity=Sensitivity.SENSITIVE,
    basis="GB/T 35273-2020 Annex B; TC260-PG-20244A (敏感个人信息识别指南)",
    vocabulary=Vocabulary(
        zh=("性取向", "性倾向", "性偏好"),
        latin=("sexual_orientation", "sexuality", "orientation_sexual"),
    ),
    patterns=(
        ValuePattern("Chinese", "异性恋|同性恋|双性恋|无性恋|泛性恋", 0.9),
        ValuePattern(
            "English",
            "(?i:heterosexual|homosexual|bisexual|asexual|pansexual|gay|lesbian|straight)",
            0.8,
            needs_context=True,
        ),
    ),
    header_score=0.85,
    requires="恋",
    max_chars=16,
)
