"""Minors under 14 (PIPL Art. 28, 31): birth dates from ID numbers and ages at a given date."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dataport.classify import checksums

#: PIPL treats all personal information of children under this age as sensitive.
MINOR_AGE = 14


def _normalised(value: pl.Expr) -> pl.Expr:
    return value.str.strip_chars().str.to_uppercase()


def _is_valid_id(value: pl.Expr, latest: dt.date) -> pl.Expr:
    return checksums.is_any_resident_id(value, latest=latest)


def birth_date_from_id(value: pl.Expr, *, latest: dt.date) -> pl.Expr:
    """Birth date of each valid 18- or 15-digit resident ID; null for anything else."""
    normalised = _normalised(value)
    return pl.when(_is_valid_id(normalised, latest)).then(
        checksums.resident_id_birth_date(normalised)
    )


def age_from_id(value: pl.Expr, as_of: dt.date) -> pl.Expr:
    """Age in completed years (周岁) on ``as_of`` from the birth date digits of a resident ID.

    YYYYMMDD read as a number: the difference divided by 10,000 is the age, and someone born
    on 29 February turns a year older on 1 March in common years, as Chinese law counts it.
    Call it on valid IDs only; anything else gives a meaningless number or null.
    """
    born = value.map_batches(
        checksums.resident_id_birth_number, return_dtype=pl.Int64, is_elementwise=True
    )
    as_of_number = as_of.year * 10_000 + as_of.month * 100 + as_of.day
    return (as_of_number - born) // 10_000


def younger_than(value: pl.Expr, as_of: dt.date, under: int = MINOR_AGE) -> pl.Expr:
    """``age_from_id(value, as_of) < under`` for valid resident IDs, without reading numbers.

    The age is under ``under`` exactly when YYYYMMDD of the birth is above YYYYMMDD of
    ``as_of`` less ``under`` years (``as_of_number - under * 10_000``), and eight-digit texts
    compare as their numbers do: one slice and one comparison per value.
    """
    as_of_number = as_of.year * 10_000 + as_of.month * 100 + as_of.day
    born = (
        pl.when(value.str.len_bytes() == 18)
        .then(value.str.slice(6, 8))
        # Legacy 15-digit numbers were issued to people born in the 1900s.
        .otherwise(pl.concat_str(pl.lit("19"), value.str.slice(6, 6)))
    )
    return born > pl.lit(f"{as_of_number - under * 10_000:08d}")


def is_minor_id(value: pl.Expr, as_of: dt.date, *, under: int = MINOR_AGE) -> pl.Expr:
    """Whether a value is a valid resident ID of someone younger than ``under`` on ``as_of``."""
    normalised = _normalised(value)
    young = younger_than(normalised, as_of, under)
    return (_is_valid_id(normalised, as_of) & young).fill_null(False)


def minor_id_flags(ids: pl.Series, as_of: dt.date, *, under: int = MINOR_AGE) -> pl.Series:
    """``is_minor_id`` of every value; only values whose birth digits say young are validated.

    A valid ID's age is read from its birth digits alone, so a value whose digits say older is
    no minor's ID whether it is valid or not: the checksum runs on the few young-looking values
    alone.
    """
    frame = pl.DataFrame({"id": ids.cast(pl.String, strict=False)}).with_row_index("row")
    young = frame.filter(younger_than(_normalised(pl.col("id")), as_of, under).fill_null(False))
    rows = young.filter(is_minor_id(pl.col("id"), as_of, under=under)).get_column("row")
    flags = pl.Series(ids.name, [False], dtype=pl.Boolean).new_from_index(0, len(ids))
    return flags.scatter(rows, True) if len(rows) else flags


def count_minors(ids: pl.Series, as_of: dt.date, *, under: int = MINOR_AGE) -> int:
    """How many values are valid resident IDs of people younger than ``under`` on ``as_of``."""
    return int(minor_id_flags(ids, as_of, under=under).sum())
