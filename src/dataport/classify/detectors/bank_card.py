"""Bank card numbers (UnionPay and international schemes) with a Luhn check."""

from __future__ import annotations

from dataport.classify import checksums, masking
from dataport.classify.detectors._forms import EDGE, digits_only
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("bank_card")

DETECTOR = Detector(
    category="bank_card",
    label_zh="银行卡号",
    label_en="Bank card number",
    sensitivity=Sensitivity.SENSITIVE,
    basis="ISO/IEC 7812 (IIN, Luhn); PIPL Art. 28 (financial accounts)",
    vocabulary=_WORDS.columns,
    # 16-19 digits opening with 3 (JCB), 4 (Visa), 5 (Mastercard), 6 (UnionPay, 62) or 9 (older
    # domestic debit cards).
    patterns=(ValuePattern("16-19 digits", r"[3-69]\d{15,18}", 0.9),),
    scope=Scope.TEXT,
    candidate=rf"{EDGE}(?:\d{{16,19}}|\d{{4}}(?:[ -]\d{{4}}){{3}}(?:[ -]?\d{{1,3}})?){EDGE}",
    normalise=digits_only,
    requires=r"\d{4}",
    whole=r"[3-69][0-9]{15,18}",
    validator=checksums.luhn_valid,
    # Luhn accepts one arbitrary number in ten: a column of serials passes about that often.
    chance=0.1,
    yields_to=("cn_resident_id", "foreigner_permanent_id"),
    mask=lambda v: masking.keep_ends(v, 6, 4),
)
