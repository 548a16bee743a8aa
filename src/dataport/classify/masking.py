"""Masks for examples shown in reports and logs, as Polars expressions: never the raw value.

Each mask keeps only what a reviewer needs to recognise the kind of value (an ID's region, a
phone's operator prefix, an e-mail's domain) and hides what identifies the person.
"""

from __future__ import annotations

import polars as pl

STAR = "*"


def keep_ends(value: pl.Expr, head: int, tail: int) -> pl.Expr:
    """Keep ``head`` leading and ``tail`` trailing characters and star the rest.

    At least a third of any value is hidden, so short values give away less than ``head`` and
    ``tail`` ask for (``110105********123X``, ``138****5678``).
    """
    length = value.str.len_chars().cast(pl.Int64)
    hidden_at_least = pl.max_horizontal(pl.lit(1), (length + 2) // 3)
    visible = pl.min_horizontal(pl.lit(head + tail), length - hidden_at_least).clip(lower_bound=0)
    kept_head = pl.min_horizontal(pl.lit(head), visible)
    kept_tail = visible - kept_head
    middle = value.str.slice(kept_head, length - visible).str.replace_all(r"(?s).", STAR)
    return pl.concat_str(
        value.str.slice(0, kept_head), middle, value.str.slice(length - kept_tail, kept_tail)
    )


def email(value: pl.Expr) -> pl.Expr:
    """``z***@example.com``: first character of the mailbox and the domain."""
    local = value.str.extract(r"^([^@]*)@", 1)
    domain = value.str.extract(r"@(.*)$", 1)
    return pl.concat_str(local.str.slice(0, 1), pl.lit("***@"), domain)


def person_name(value: pl.Expr) -> pl.Expr:
    """``张**`` or ``Z*** W***``: the first letter of each part of the name."""
    latin = value.str.replace_all(r"(\p{Latin})\p{Latin}*", "${1}***")
    han = pl.concat_str(value.str.slice(0, 1), value.str.slice(1).str.replace_all(r".", STAR))
    return pl.when(value.str.contains(r"^\p{Han}")).then(han).otherwise(latin)


def address(value: pl.Expr) -> pl.Expr:
    """``上海市徐汇区****``: down to the district at most, never street or house number."""
    district = value.str.extract(r"^(.{0,12}(?:区|县|旗|市))", 1)
    kept = pl.coalesce(district, value.str.slice(0, 2))
    return pl.concat_str(kept, pl.lit("****"))


def ipv4(value: pl.Expr) -> pl.Expr:
    """``192.168.*.*``: the network part only."""
    return pl.concat_str(value.str.extract(r"^(\d+\.\d+)\.", 1), pl.lit(".*.*"))


def ipv6(value: pl.Expr) -> pl.Expr:
    """``2001:db8:****``: the first two groups (routing prefix) only."""
    head = value.str.extract(r"^([0-9A-Fa-f]*:[0-9A-Fa-f]*)", 1)
    return pl.concat_str(head, pl.lit(":****"))


def mac_address(value: pl.Expr) -> pl.Expr:
    """``00:1A:2B:**:**:**``: the manufacturer prefix (OUI) only."""
    return pl.concat_str(
        value.str.slice(0, 8), value.str.slice(8).str.replace_all(r"[0-9A-Fa-f]", STAR)
    )


def coordinate(value: pl.Expr) -> pl.Expr:
    """``31.2**,121.4**``: about 10 km of precision left."""
    return value.str.replace_all(r"(\.\d)\d+", "${1}**")


def date_keep_year(value: pl.Expr) -> pl.Expr:
    """``1990-**-**``: the year only."""
    return pl.concat_str(value.str.slice(0, 4), value.str.slice(4).str.replace_all(r"\d", STAR))


def first_char(value: pl.Expr) -> pl.Expr:
    """``汉*``: the first character only, for vocabulary values and anything not covered above."""
    return pl.concat_str(value.str.slice(0, 1), value.str.slice(1).str.replace_all(r"(?s).", STAR))
