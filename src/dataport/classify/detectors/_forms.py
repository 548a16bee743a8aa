"""Normalisers and regex fragments shared by several detectors."""

from __future__ import annotations

import numpy as np
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
    return value.map_batches(_digits_only, return_dtype=pl.String, is_elementwise=True)


def _digits_only(values: pl.Series) -> pl.Series:
    # Values that are ASCII digits already (a column of numbers) are seen to be so in one
    # look at their bytes, and kept as they are instead of rewritten one by one.
    if _ascii_digits(values):
        return values
    return values.str.replace_all(r"\D", "")


def _ascii_digits(values: pl.Series) -> bool:
    """Whether every value is made of ASCII digits only (False if any is null)."""
    if values.null_count():
        return False
    # All the values' bytes one after another, as the checksum kernels read them.
    joined = np.frombuffer(values.str.join("").item().encode("utf-8"), dtype=np.uint8)
    return bool(((joined - np.uint8(ord("0"))) < 10).all())


def first_number(value: pl.Expr) -> pl.Expr:
    """The first decimal number in a value, as a float."""
    return value.str.extract(r"(-?\d+(?:\.\d+)?)", 1).cast(pl.Float64, strict=False)


def last_number(value: pl.Expr) -> pl.Expr:
    """The last decimal number in a value, as a float."""
    return value.str.extract(r"(-?\d+(?:\.\d+)?)\D*$", 1).cast(pl.Float64, strict=False)
