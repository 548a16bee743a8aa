"""Organisation codes (GB 11714), written with the hyphen before the check character."""

from __future__ import annotations

from dataport.classify import checksums, masking
from dataport.classify.detectors._forms import EDGE, compact_upper
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("cn_org_code")

DETECTOR = Detector(
    category="cn_org_code",
    label_zh="组织机构代码",
    label_en="Organisation code",
    sensitivity=Sensitivity.NOT_PERSONAL,
    basis="GB 11714-1997",
    vocabulary=_WORDS.columns,
    patterns=(ValuePattern("8 + check", r"[0-9A-Z]{8}[0-9X]", 0.8),),
    scope=Scope.TEXT,
    # Without its hyphen a code is nine bare characters, as common as any serial number.
    candidate=rf"{EDGE}[0-9A-Za-z]{{8}}-[0-9Xx]{EDGE}",
    normalise=compact_upper,
    validator=checksums.is_org_code,
    chance=1 / 11,
    mask=lambda v: masking.keep_ends(v, 2, 1),
)
