"""PRC working days: official holidays and make-up working days (调休), from chinese-calendar.

Beyond the years chinese-calendar knows (the State Council publishes each year's schedule late
in the year before), Monday to Friday are counted and the result is marked provisional, so a
deadline is never shown as certain when it cannot be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

CHINA = ZoneInfo("Asia/Shanghai")


def today_in_china() -> date:
    """Today's date where the deadlines run."""
    return datetime.now(CHINA).date()


@dataclass(frozen=True)
class Deadline:
    due: date
    working_days: int
    #: True when a day counted lies in a year whose official schedule is not known here.
    provisional: bool


def is_working_day(day: date) -> tuple[bool, bool]:
    """Whether ``day`` is a PRC working day, and whether that is known (not assumed)."""
    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: date, count: int) -> Deadline:
    """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    remaining = count
    provisional = False
    while remaining:
        day += timedelta(days=1)
        working, known = is_working_day(day)
        provisional = provisional or not known
        if working:
            remaining -= 1
    return Deadline(day, count, provisional)


def subtract_working_days(end: date, count: int) -> Deadline:
    """The working day ``count`` working days before ``end`` (``end`` not counted)."""
    day = end
    remaining = count
    provisional = False
    while remaining:
        day -= timedelta(days=1)
        working, known = is_working_day(day)
        provisional = provisional or not known
        if working:
            remaining -= 1
    return Deadline(day, count, provisional)


def add_years(day: date, years: int) -> date:
    """The same calendar date ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
