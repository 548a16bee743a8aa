"""IMEI device identifiers (15 digits, Luhn check)."""

from __future__ import annotations

from dataport.classify import checksums, masking
from dataport.classify.detectors._forms import EDGE, digits_only
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("imei")

DETECTOR = Detector(
    category="imei",
    label_zh="IMEI 设备识别码",
    label_en="IMEI device identifier",
    sensitivity=Sensitivity.PERSONAL,
    basis="3GPP TS 23.003 (IMEI structure, Luhn check digit)",
    vocabulary=_WORDS.columns,
    patterns=(ValuePattern("15-digit IMEI", r"\d{15}", 0.85),),
    scope=Scope.TEXT,
    candidate=rf"{EDGE}(?:\d{{15}}|\d{{2}}-\d{{6}}-\d{{6}}-\d){EDGE}",
    normalise=digits_only,
    whole=r"[0-9]{15}",
    requires=r"\d{6}",
    validator=lambda v: checksums.luhn_valid(v, max_length=15),
    chance=0.1,
    # A legacy 15-digit ID that happens to pass Luhn is an ID, not a handset.
    yields_to=("cn_resident_id",),
    mask=lambda v: masking.keep_ends(v, 8, 0),
)
