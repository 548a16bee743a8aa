"""Today's date in China, the reference for birth-date plausibility and ages."""

from __future__ import annotations

import datetime as dt

#: China Standard Time has had no daylight saving since 1991, so a fixed offset is exact and
#: needs no time-zone database on the host.
CHINA = dt.timezone(dt.timedelta(hours=8), "CST")


def china_today() -> dt.date:
    """The current date in Beijing time."""
    return dt.datetime.now(tz=CHINA).date()
