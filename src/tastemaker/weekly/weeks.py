"""ISO weeks: '2026-W48' ↔ its Monday, and the weeks before it."""

from __future__ import annotations

import datetime as dt
import re

from ..errors import ParameterError

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(week: str) -> dt.date:
    """The Monday of an ISO week like '2026-W48'."""
    m = _WEEK.match(week or "")
    if not m:
        raise ParameterError(f"A week reads YYYY-Www, e.g. 2026-W48. Got {week!r} instead.")
    try:
        return dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError as exc:
        raise ParameterError(f"{week!r} is not a week of that year ({exc})") from exc


#: the first week a list can be generated for (weeks before it lead nowhere useful, and the
#: calendar arithmetic of earlier years overflows)
FIRST_YEAR = 2000


def check_week(week: str, *, ahead: int = 1, today: dt.date | None = None) -> str:
    """A week given by a user, checked: it reads YYYY-Www, is a week of that year, is not before
    FIRST_YEAR and not more than `ahead` weeks after this one."""
    monday = parse_week(week)
    if monday.year < FIRST_YEAR:
        raise ParameterError(f"The week {week} is before {FIRST_YEAR}; give a week of the data, e.g. "
                             f"{current_week(today)}")
    this = parse_week(current_week(today))
    if monday > this + dt.timedelta(weeks=ahead):
        raise ParameterError(f"The week {week} is more than {ahead} week{'s' if ahead != 1 else ''} "
                             f"ahead of this one ({current_week(today)})")
    return week


def week_of(day: dt.date | dt.datetime) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def current_week(today: dt.date | None = None) -> str:
    return week_of(today or dt.datetime.now(dt.timezone.utc).date())


def previous_weeks(week: str, n: int) -> list[str]:
    """The n weeks before `week`, most recent first."""
    monday = parse_week(week)
    return [week_of(monday - dt.timedelta(weeks=k)) for k in range(1, n + 1)]
