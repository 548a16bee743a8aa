"""Normalisers and regex fragments shared by several detectors."""

from __future__ import annotations

import polars as pl

#: ASCII word boundary: unlike ``\b`` it holds between a CJK character and a digit, so
#: ``电话13812345678`` yields the number (Polars' regex engine has no look-around).
EDGE = r"(?-u:\b)"

#: CJK Unified Ideographs and Extension A, for use inside a character class. Much faster than
#: ``\p{Han}`` in bounded repetitions, and it holds every Chinese character of GB 2312.
HAN = r"\x{3400}-\x{9fff}"


def as_found(value: pl.Expr) -> pl.Expr:
    """The value as extracted: for candidate patterns that hold no space at either end, which
    a cell has lost already (the scan trims cells)."""
    return value


def compact_upper(value: pl.Expr) -> pl.Expr:
    """Upper case without spaces, hyphens or dots (``l sv-123`` → ``LSV123``)."""
    return value.str.replace_all(r"[\s\-.·]", "").str.to_uppercase()


def digits_only(value: pl.Expr) -> pl.Expr:
    """Digits only: separators and prefixes such as ``+`` or parentheses removed."""
    return value.str.replace_all(r"\D", "")


def first_number(value: pl.Expr) -> pl.Expr:
    """The first decimal number in a value, as a float."""
    return value.str.extract(r"(-?\d+(?:\.\d+)?)", 1).cast(pl.Float64, strict=False)


def last_number(value: pl.Expr) -> pl.Expr:
    """The last decimal number in a value, as a float."""
    return value.str.extract(r"(-?\d+(?:\.\d+)?)\D*$", 1).cast(pl.Float64, strict=False)
