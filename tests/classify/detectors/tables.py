"""Run one detector over a single value, the way the column scanner does, for table tests."""

from __future__ import annotations

import polars as pl

from dataport.classify import detector_for, find_matches


def matches_in(category: str, text: str | None, *, context: bool = False) -> list[str]:
    """The normalised values of ``category`` found in ``text``."""
    found = find_matches(
        detector_for(category), pl.Series("value", [text], dtype=pl.String), context=context
    )
    return list(found["value"])
