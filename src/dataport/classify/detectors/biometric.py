"""Biometric data (PIPL Art. 28): known from what the column says it holds."""

from __future__ import annotations

from dataport.classify.detectors.base import Detector, Sensitivity, Vocabulary

DETECTOR = Detector(
    category="biometric",
    label_zh="生物识别信息",
    label_en="Biometric data",
    sensitivity=Sensitivity.SENSITIVE,
    basis="PIPL Art. 28; GB/T 35273-2020 Annex B; GB/T 45574-2025 Annex A (faces)",
    vocabulary=Vocabulary(
        zh=(
            "指纹",
            "人脸",
            "面部",
            "脸部",
            "虹膜",
            "声纹",
            "掌纹",
            "指静脉",
            "掌静脉",
            "步态",
            "基因",
            "耳廓",
            "人像",
            "生物特征",
            "生物识别",
            "刷脸",
            "面容",
        ),
        latin=(
            "fingerprint",
            "face",
            "facial",
            "face_id",
            "faceid",
            "face_feature",
            "iris",
            "voiceprint",
            "palmprint",
            "palm_vein",
            "finger_vein",
            "biometric",
            "biometrics",
            "gene",
            "genome",
            "genotype",
            "dna",
            "gait",
        ),
        exclude_latin=("face_value", "interface", "typeface", "surface"),
    ),
    # Feature vectors and images carry no recognisable text, so the header is the evidence.
    header_score=0.8,
)
