"""MAC (EUI-48) hardware addresses."""

from __future__ import annotations

import polars as pl

from dataport.classify import masking
from dataport.classify.detectors._forms import EDGE, as_found
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("mac_address")

_X = "[0-9A-Fa-f]"


def _assigned(value: pl.Expr) -> pl.Expr:
    # All zeros and broadcast are placeholders in logs, not a device.
    return ~value.str.contains(r"^(?:[0:.\-]+|[Ff:.\-]+)$")


_FORMS = (
    ValuePattern("colon-separated", rf"{_X}{{2}}(?::{_X}{{2}}){{5}}", 0.85, lengths=(17,)),
    ValuePattern("hyphen-separated", rf"{_X}{{2}}(?:-{_X}{{2}}){{5}}", 0.85, lengths=(17,)),
    ValuePattern("dotted (Cisco)", rf"{_X}{{4}}\.{_X}{{4}}\.{_X}{{4}}", 0.8, lengths=(14,)),
)


DETECTOR = Detector(
    category="mac_address",
    label_zh="MAC 地址",
    label_en="MAC address",
    sensitivity=Sensitivity.PERSONAL,
    basis="IEEE 802 EUI-48; GB/T 35273-2020 Annex A (device identifiers)",
    vocabulary=_WORDS.columns,
    patterns=_FORMS,
    scope=Scope.TEXT,
    candidate=(
        rf"{EDGE}{_X}{{2}}(?:[:-]{_X}{{2}}){{5}}{EDGE}|{EDGE}{_X}{{4}}\.{_X}{{4}}\.{_X}{{4}}{EDGE}"
    ),
    normalise=as_found,
    whole="|".join(p.regex for p in _FORMS),
    validator=_assigned,
    chance=0.05,
    mask=masking.mac_address,
)
