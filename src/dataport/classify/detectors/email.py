"""E-mail addresses."""

from __future__ import annotations

import polars as pl

from dataport.classify import masking
from dataport.classify.detectors._forms import as_found
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("email")

_ADDRESS = r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}"


def _not_a_file_name(value: pl.Expr) -> pl.Expr:
    # "logo@2x.png" is an image name in every front-end code base, not a mailbox.
    return ~value.str.contains(r"(?i)\.(?:png|jpe?g|gif|svg|webp|bmp|ico|css|js)$")


DETECTOR = Detector(
    category="email",
    label_zh="电子邮箱",
    label_en="E-mail address",
    sensitivity=Sensitivity.PERSONAL,
    basis="RFC 5322 (common subset); GB/T 35273-2020 Annex A",
    vocabulary=_WORDS.columns,
    patterns=(ValuePattern("address", _ADDRESS, 0.95),),
    scope=Scope.TEXT,
    candidate=_ADDRESS,
    normalise=as_found,
    requires="@",
    whole=_ADDRESS,
    validator=_not_a_file_name,
    mask=masking.email,
)
