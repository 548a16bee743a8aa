"""Military officer and soldier ID numbers (军官证, 士兵证): known by the column name first."""

from __future__ import annotations

from dataport.classify import masking
from dataport.classify.detectors._forms import HAN
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("military_id")

DETECTOR = Detector(
    category="military_id",
    label_zh="军官证、士兵证号码",
    label_en="Military officer or soldier ID number",
    sensitivity=Sensitivity.SENSITIVE,
    basis="GB/T 35273-2020 Annex A and Annex B (军官证 among personal identity documents)",
    vocabulary=_WORDS.columns,
    # No numbering standard is public. The printed form is an issuing-body character, 字第,
    # a serial and 号 (南字第12345678号); "X字第…号" also numbers property certificates and
    # letters, so even that form counts only in a column named for the document.
    patterns=(
        ValuePattern("X字第…号", rf"[{HAN}]字第[0-9A-Z]{{4,8}}号?", 0.8, needs_context=True),
        ValuePattern("serial", r"[0-9A-Z]{6,12}", 0.6, needs_context=True),
    ),
    scope=Scope.CELL,
    normalise=lambda v: v.str.replace_all(r"\s", "").str.to_uppercase(),
    max_chars=20,
    mask=lambda v: masking.keep_ends(v, 1, 1),
)
