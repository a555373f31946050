"""Velero's schedule grammar, in Python: what `backups.schedule` means to the Velero server.

Velero parses a Schedule's `spec.schedule` with robfig/cron v3 `ParseStandard`
(vmware-tanzu/velero v1.18.1 pkg/controller/schedule_controller.go l.199; go.mod pins
github.com/robfig/cron/v3 v3.0.1). A spec it refuses is a Schedule that never runs: the Schedule
object is created and Velero marks it FailedValidation, with no error at `pulumi up`. This module
follows robfig/cron v3.0.1 rule for rule (parser.go `Parse`, `normalizeFields`, `getField`,
`getRange`, `parseIntOrName`, `mustParseInt`, `parseDescriptor`; spec.go `bounds`, `dayMatches`;
constantdelay.go `Every`):

- five whitespace-separated fields (`strings.Fields`): minute 0-59, hour 0-23, day of month 1-31,
  month 1-12 or JAN-DEC, day of week 0-6 or SUN-SAT (7 is out of range), names case-insensitive;
- each field a comma list (`strings.FieldsFunc`: empty entries are skipped) of `*` or `?`, a
  number or name, or a range `a-b`, each with an optional `/step`; `n/step` runs from n to the
  field's maximum; a range must not run backwards and a step must be positive;
- a field holding `*` (or `?`, or `*/1`) makes the days match when both the day of month and the
  day of week match, otherwise when either does (`dayMatches`);
- the descriptors @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, and
  `@every <Go duration>`, which fires every duration (below a second: every second);
- a `TZ=`/`CRON_TZ=` prefix names a time zone. Refused here: `backups.schedule` is UTC, the Velero
  server's zone, and the firing times below are computed in it.

Pure and fast: `parse` builds the bit sets, `longest_gap` finds the longest time between two
firings from the sets (minutes within a day, days over the 28-year cycle that repeats weekdays
and leap days from 1901 to 2099).
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTH_NAMES = {
    n: i for i, n in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}
_DOW_NAMES = {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# spec.go `bounds`: name (for messages), minimum, maximum, names.
_FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day of month", 1, 31, None),
    ("month", 1, 12, _MONTH_NAMES),
    ("day of week", 0, 6, _DOW_NAMES),
)
# Go's strconv.Atoi: an optional sign and ASCII digits (it refuses anything else).
_ATOI = re.compile(r"[+-]?[0-9]+", re.ASCII)
# Go's time.ParseDuration units, in nanoseconds (the field is ASCII, so no µs).
_GO_UNITS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_GO_DURATION = re.compile(r"([0-9]*(?:\.[0-9]*)?)([a-z]+)", re.ASCII)
_MINUTE_NS = 60 * 10**9
# 1901-2099: every fourth year is a leap year, so days of week and leap days repeat every 28 years.
_CYCLE_START = date(2001, 1, 1)
_CYCLE_DAYS = (date(2029, 1, 1) - _CYCLE_START).days
# (month, day of month, day of week with Sunday 0 as Go's Weekday) of each day of the cycle.
_CYCLE = tuple(
    (d.month, d.day, (d.weekday() + 1) % 7) for d in (_CYCLE_START + timedelta(days=i) for i in range(_CYCLE_DAYS))
)
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class CronError(ValueError):
    """What robfig/cron's parser (or this program, for a time zone) refuses, in words."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: the values each field fires on, or a constant delay (`@every`)."""

    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days_of_month: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    days_of_week: frozenset[int] = frozenset()
    # spec.go dayMatches: a star in either day field makes the two an AND, otherwise an OR.
    day_star: bool = False
    # `@every`: the delay in whole seconds (robfig/cron rounds down to the second, at least one).
    every_seconds: int | None = None

    def fires_on(self, month: int, day: int, weekday: int) -> bool:
        """Whether it fires on that day (weekday: Sunday 0, as Go's time.Weekday)."""
        if month not in self.months:
            return False
        dom, dow = day in self.days_of_month, weekday in self.days_of_week
        return dom and dow if self.day_star else dom or dow


def _int(text: str, names: dict[str, int] | None) -> int:
    """parser.go parseIntOrName / mustParseInt."""
    if names is not None and text.lower() in names:
        return names[text.lower()]
    if not _ATOI.fullmatch(text) or len(text.lstrip("+-")) > 18:
        raise CronError(f"{text!r} is not a number{' or a name' if names else ''}")
    number = int(text)
    if number < 0:
        raise CronError(f"negative number ({number}) not allowed: {text}")
    return number


def _range(expr: str, name: str, low: int, high: int, names: dict[str, int] | None) -> tuple[set[int], bool]:
    """parser.go getRange: (values, whether the star bit is set)."""
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    star = False
    if low_and_high[0] in ("*", "?"):
        # As robfig/cron does: a star ignores what follows a hyphen.
        start, end, star = low, high, True
    else:
        start = _int(low_and_high[0], names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int(low_and_high[1], names)
        else:
            raise CronError(f"too many hyphens in {expr!r} ({name})")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _int(range_and_step[1], None)
        if len(low_and_high) == 1:
            end = high  # `n/step` means n to the maximum
        if step > 1:
            star = False
    else:
        raise CronError(f"too many slashes in {expr!r} ({name})")
    if start < low:
        raise CronError(f"{name} {expr!r} starts below {low}")
    if end > high:
        raise CronError(f"{name} {expr!r} ends above {high}" + (" (Sunday is 0, 7 is refused)" if high == 6 else ""))
    if start > end:
        raise CronError(f"{name} {expr!r} runs backwards ({start} after {end})")
    if step == 0:
        raise CronError(f"{name} {expr!r}: the step must be a positive number")
    return set(range(start, end + 1, step)), star


def _field(text: str, name: str, low: int, high: int, names: dict[str, int] | None) -> tuple[frozenset[int], bool]:
    """parser.go getField: the union of the comma-separated ranges (empty entries skipped)."""
    values: set[int] = set()
    star = False
    for expr in (e for e in text.split(",") if e):
        bits, is_star = _range(expr, name, low, high, names)
        values |= bits
        star = star or is_star
    return frozenset(values), star


def go_duration_ns(text: str) -> int:
    """Go's time.ParseDuration, in nanoseconds (what `@every` takes)."""
    original = text
    sign = -1 if text.startswith("-") else 1
    text = text[1:] if text[:1] in ("+", "-") else text  # one sign, as Go's ParseDuration takes
    if text == "0":
        return 0
    if not text:
        raise CronError(f"invalid duration {original!r}")
    total = 0.0
    position = 0
    while position < len(text):
        match = _GO_DURATION.match(text, position)
        if not match or match.group(1) in ("", ".") or match.group(2) not in _GO_UNITS:
            raise CronError(f"invalid duration {original!r} (a Go duration such as 1h30m)")
        total += float(match.group(1)) * _GO_UNITS[match.group(2)]
        position = match.end()
    if total > 2**63 - 1:
        raise CronError(f"invalid duration {original!r} (overflows)")
    return sign * int(total)


@functools.lru_cache(maxsize=512)
def parse(spec: str) -> Schedule:
    """parser.go Parse with ParseStandard's options (five fields, descriptors)."""
    if not spec:
        raise CronError("empty schedule")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        raise CronError("no time zone prefix: the schedule is in UTC, the Velero server's zone")
    if spec.startswith("@"):
        if spec.startswith("@every "):
            nanoseconds = go_duration_ns(spec[len("@every ") :])
            if nanoseconds <= 0:
                raise CronError(f"{spec!r} must be a positive duration (robfig/cron would run it every second)")
            return Schedule(every_seconds=max(1, nanoseconds // 10**9))
        if spec not in _DESCRIPTORS:
            raise CronError(
                f"unrecognized descriptor {spec!r} (Velero takes {', '.join(_DESCRIPTORS)}, @every <duration>)"
            )
        spec = _DESCRIPTORS[spec]
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields (minute hour day-of-month month day-of-week), found {len(fields)}")
    parsed = [_field(text, *spec_) for text, spec_ in zip(fields, _FIELDS, strict=True)]
    (minutes, _), (hours, _), (dom, dom_star), (months, _), (dow, dow_star) = parsed
    return Schedule(minutes, hours, dom, months, dow, day_star=dom_star or dow_star)


@functools.lru_cache(maxsize=512)
def longest_gap(schedule: Schedule) -> timedelta | None:
    """The longest time between two firings, None when the schedule never fires.

    The times of day are the same on every day it fires, so the longest gap is either inside a
    day or from a day's last firing to the next firing day's first, found over one 28-year cycle
    of days and the wrap into the next cycle."""
    if schedule.every_seconds is not None:
        return timedelta(seconds=schedule.every_seconds)
    times = sorted(h * 60 + m for h in schedule.hours for m in schedule.minutes)
    if not times:
        return None
    days = [offset for offset, day in enumerate(_CYCLE) if schedule.fires_on(*day)]
    if not days:
        return None
    within = max((b - a for a, b in itertools.pairwise(times)), default=0)
    day_gap = max((b - a for a, b in zip(days, [*days[1:], days[0] + _CYCLE_DAYS], strict=True)), default=_CYCLE_DAYS)
    across = day_gap * 1440 - (times[-1] - times[0])
    return timedelta(minutes=max(within, across))
