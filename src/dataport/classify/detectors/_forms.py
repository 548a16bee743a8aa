"""Normalisers and regex fragments shared by several detectors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

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
    array = values.to_arrow()
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if len(array) == 0:
        return True
    if not (pa.types.is_large_string(array.type) or pa.types.is_string(array.type)):
        return False  # another layout: rewritten, as any value would be
    width = 8 if pa.types.is_large_string(array.type) else 4
    _, offsets, data = array.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64 if width == 8 else np.int32)
    ends = ends[array.offset : array.offset + len(array) + 1]
    if data is None:
        return True
    used = np.frombuffer(data, dtype=np.uint8)[int(ends[0]) : int(ends[-1])]
    return bool(((used - np.uint8(ord("0"))) < 10).all())


def first_number(value: pl.Expr) -> pl.Expr:
    """The first decimal number in a value, as a float."""
    return value.str.extract(r"(-?\d+(?:\.\d+)?)", 1).cast(pl.Float64, strict=False)


def last_number(value: pl.Expr) -> pl.Expr:
    """The last decimal number in a value, as a float."""
    return value.str.extract(r"(-?\d+(?:\.\d+)?)\D*$", 1).cast(pl.Float64, strict=False)
