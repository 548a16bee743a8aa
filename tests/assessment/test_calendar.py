"""PRC working days, checked against chinese-calendar's own day list."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from dataport.assessment.calendar import (
    add_working_days,
    add_years,
    is_working_day,
    subtract_working_days,
)


def test_spring_festival_2026_with_its_make_up_saturday() -> None:
    # 14 February 2026 is a Saturday worked in exchange; 15-23 February are holidays.
    assert is_working_day(date(2026, 2, 14)) == (True, True)
    assert is_working_day(date(2026, 2, 17)) == (False, True)
    assert add_working_days(date(2026, 2, 10), 5).due == date(2026, 2, 24)
    assert add_working_days(date(2026, 2, 13), 7).due == date(2026, 3, 2)


@pytest.mark.parametrize("start", [date(2024, 9, 27), date(2025, 1, 20), date(2026, 4, 30)])
@pytest.mark.parametrize("count", [1, 5, 7, 10, 15, 45])
def test_counting_matches_the_official_schedule(start: date, count: int) -> None:
    deadline = add_working_days(start, count)
    official = chinese_calendar.get_workdays(start + timedelta(days=1), deadline.due)
    assert len(official) == count
    assert official[-1] == deadline.due
    assert not deadline.provisional


def test_beyond_the_published_schedule_the_deadline_is_provisional() -> None:
    deadline = add_working_days(date(2026, 12, 1), 45)
    assert deadline.provisional
    assert deadline.due.weekday() < 5
    assert is_working_day(date(2027, 6, 1))[1] is False


def test_subtract_and_years() -> None:
    back = subtract_working_days(date(2026, 3, 2), 7)
    assert back.due == date(2026, 2, 13)
    assert add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert add_years(date(2026, 3, 2), 3) == date(2029, 3, 2)
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 1, 1), -1)
