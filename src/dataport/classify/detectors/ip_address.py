"""IPv4 and IPv6 addresses."""

from __future__ import annotations

import polars as pl

from dataport.classify import masking
from dataport.classify.detectors._forms import EDGE, as_found
from dataport.classify.detectors.base import Detector, Scope, Sensitivity, ValuePattern
from dataport.classify.vocabulary import vocabulary_file

_WORDS = vocabulary_file("ip_address")

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
_H = r"[0-9A-Fa-f]{1,4}"
IPV6 = "|".join(
    (
        rf"(?:{_H}:){{7}}{_H}",
        rf"(?:{_H}:){{1,7}}:",
        rf"(?:{_H}:){{1,6}}:{_H}",
        rf"(?:{_H}:){{1,5}}(?::{_H}){{1,2}}",
        rf"(?:{_H}:){{1,4}}(?::{_H}){{1,3}}",
        rf"(?:{_H}:){{1,3}}(?::{_H}){{1,4}}",
        rf"(?:{_H}:){{1,2}}(?::{_H}){{1,5}}",
        rf"{_H}:(?::{_H}){{1,6}}",
        rf":(?:(?::{_H}){{1,7}}|:)",
        rf"(?:{_H}:){{6}}{IPV4}",
        rf"::(?:[Ff]{{4}}:)?{IPV4}",
    )
)


def _mask(value: pl.Expr) -> pl.Expr:
    return pl.when(value.str.contains(":")).then(masking.ipv6(value)).otherwise(masking.ipv4(value))


DETECTOR = Detector(
    category="ip_address",
    label_zh="IP 地址",
    label_en="IP address",
    sensitivity=Sensitivity.PERSONAL,
    basis="RFC 791, RFC 4291; GB/T 35273-2020 Annex A (device and network identifiers)",
    vocabulary=_WORDS.columns,
    patterns=(ValuePattern("IPv4", IPV4, 0.8), ValuePattern("IPv6", IPV6, 0.85)),
    scope=Scope.TEXT,
    # Loose on purpose: four or more dotted numbers (so an OID or a five-part version is seen
    # whole and rejected), or colon-separated hex groups (so times and MACs are rejected whole).
    candidate=(
        rf"{EDGE}\d{{1,3}}(?:\.\d{{1,3}}){{3,}}{EDGE}"
        rf"|{EDGE}[0-9A-Fa-f]{{0,4}}(?::[0-9A-Fa-f]{{0,4}}){{2,7}}(?:\.\d{{1,3}}){{0,3}}{EDGE}"
    ),
    normalise=as_found,
    # IPv4 only: an IPv6 address opening with a colon is extracted from its first digit on.
    whole=IPV4.replace(r"\d", "[0-9]"),
    requires=r"\d\.\d|:",
    chance=0.3,
    mask=_mask,
)
