"""Vehicle identification numbers with the ISO 3779 check character that GB 16735 requires."""

from __future__ import annotations

from dataport.classify import checksums, masking
from dataport.classify.detectors._forms import EDGE, compact_upper
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("vin")

DETECTOR = Detector(
    category="vin",
    label_zh="车辆识别代号",
    label_en="Vehicle identification number (VIN)",
    sensitivity=Sensitivity.PERSONAL,
    basis="ISO 3779; GB 16735-2019 (check character mandatory)",
    vocabulary=_WORDS.columns,
    patterns=(ValuePattern("17 characters", r"[A-HJ-NPR-Z0-9]{17}", 0.9),),
    scope=Scope.TEXT,
    candidate=rf"{EDGE}[A-HJ-NPR-Za-hj-npr-z0-9]{{17}}{EDGE}",
    normalise=compact_upper,
    whole=r"[A-HJ-NPR-Z0-9]{17}",
    requires=r"[0-9A-Za-z]{17}",
    validator=checksums.is_vin,
    chance=1 / 11,
    # Region, check character and serial: the manufacturer code alone names no one.
    mask=lambda v: masking.keep_ends(v, 3, 0),
)
