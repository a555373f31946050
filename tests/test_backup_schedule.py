"""`backups.schedule` as Velero reads it (issue 21, item 1).

Velero v1.18.1 parses a Schedule with robfig/cron v3 `ParseStandard`
(vmware-tanzu/velero pkg/controller/schedule_controller.go l.199, `parseCronSchedule`; go.mod:
github.com/robfig/cron/v3 v3.0.1) and marks a Schedule it cannot parse FailedValidation: it takes
no backup, and `pulumi up` reports nothing. components/cron.py follows robfig/cron v3.0.1's
parser.go and spec.go; each case below names the rule it holds.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from components import cron
from components.schema import cron_schedule
from tests.test_velero_config import aws_config, gcp_config, parse, refusal, tls_secret_keys  # noqa: F401 (autouse fixture)


@pytest.mark.parametrize(
    "spec",
    [
        "0 * * * *",
        "0 0 * * 0",  # spec.go dow bounds{0, 6}: Sunday is 0
        "0 0 * * SUN",  # spec.go dow names, parseIntOrName lowercases
        "0 0 * * mon-Fri",
        "0 0 1 jan,JUL *",  # month names
        "*/15 * * * *",
        "5/20 * * * *",  # parser.go getRange: "N/step" means N to the maximum
        "0 0 ? * *",  # getRange: "?" is "*"
        "0,,30 * * * *",  # getField: strings.FieldsFunc drops the empty entry
        "+5 * * * *",  # mustParseInt: strconv.Atoi takes a sign
        "0  3   *  * *",  # Parse: strings.Fields, any run of spaces
        "@hourly",  # parseDescriptor
        "@daily",
        "@midnight",
        "@every 1h30m",  # parseDescriptor: time.ParseDuration
    ],
)
def test_what_robfig_cron_accepts_is_accepted(spec):
    assert cron_schedule(spec) is None, cron_schedule(spec)


@pytest.mark.parametrize(
    "spec, says",
    [
        ("0 0 * * 7", "ends above 6 (Sunday is 0, 7 is refused)"),  # spec.go dow bounds{0, 6}
        ("0 0 * * 5-7", "ends above 6"),
        ("0 0 * * 6-1", "runs backwards"),  # getRange: "beginning of range ... beyond end of range"
        ("0 22-2 * * *", "runs backwards"),
        ("*/0 * * * *", "step must be a positive number"),  # getRange: "step of range should be a positive number"
        ("0 0 0 * *", "starts below 1"),  # dom bounds{1, 31}
        ("0 0 * 13 *", "ends above 12"),
        ("0 0 * * MON-FRIDAY", "not a number or a name"),  # names are three letters
        ("0 0 1-2-3 * *", "too many hyphens"),
        ("0 0 1/2/3 * *", "too many slashes"),
        ("0 0 * * * *", "exactly 5 fields"),  # ParseStandard: no seconds field
        ("@hour", "unrecognized descriptor"),
        ("@every 5", "invalid duration"),  # ParseDuration: a unit is required
        ("@every -1h", "positive duration"),  # Every: below a second runs every second
        ("@every +-1h", "invalid duration"),  # ParseDuration: one sign
        ("@every 1h 30m", "invalid duration"),
        ("TZ=Europe/Paris 0 3 * * *", "no time zone prefix"),
        ("0 0 31 2 *", "never fires"),  # no 31 February: SpecSchedule.Next returns the zero time
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 4,6,9,11 *", "never fires"),
        (",", "exactly 5 fields"),
        (", * * * *", "never fires"),  # getField: an empty list sets no minute
    ],
)
def test_what_robfig_cron_refuses_or_never_fires_is_refused(spec, says):
    message = cron_schedule(spec)
    assert message is not None and says in message, message


def test_day_of_month_and_day_of_week_are_an_or_unless_one_is_a_star():
    """spec.go dayMatches: with a star in either day field both must match, otherwise either."""
    friday_13th = cron.parse("0 0 13 * 5")
    assert not friday_13th.day_star
    assert friday_13th.fires_on(3, 1, 5) and friday_13th.fires_on(3, 13, 2)  # any Friday, any 13th
    assert cron.longest_gap(friday_13th) == timedelta(days=7)
    sundays_only = cron.parse("0 0 * * 0")
    assert sundays_only.day_star and not sundays_only.fires_on(3, 13, 2)
    # "*/1" keeps the star bit, a step above 1 drops it (getRange `if step > 1 { extra = 0 }`).
    assert cron.parse("0 0 */1 * 1").day_star and not cron.parse("0 0 */2 * 1").day_star


@pytest.mark.parametrize(
    "spec, gap",
    [
        ("0 * * * *", timedelta(hours=1)),
        ("15 2,14 * * *", timedelta(hours=12)),
        ("0 3 * * 1-5", timedelta(days=3)),  # Friday 03:00 to Monday 03:00
        ("*/15 2 * * mon-fri", timedelta(days=2, hours=23, minutes=15)),
        ("0 0 1 * *", timedelta(days=31)),
        ("0 0 1 1 *", timedelta(days=366)),
        ("0 0 29 2 *", timedelta(days=4 * 365 + 1)),  # leap days only
        ("@every 36h", timedelta(hours=36)),
    ],
)
def test_the_longest_gap_between_two_backups(spec, gap):
    assert cron.longest_gap(cron.parse(spec)) == gap


def test_a_schedule_rarer_than_the_retention_is_refused_on_the_schedule():
    """A yearly backup kept 7 days leaves no backup most of the year (issue 21)."""
    message = refusal(gcp_config(backups={"schedule": "@yearly", "retentionDays": 7}))
    assert "astronomer-dr:backups.schedule: '@yearly' leaves up to 366 days between two backups" in message
    assert "back up more often" in message and "retentionDays to" not in message  # 367 > the 365 allowed
    weekly = refusal(aws_config(backups={"schedule": "@weekly"}), "aws")  # default retention: 7 days
    assert "leaves up to 7 days between two backups, each kept 7 days" in weekly
    assert "set backups.retentionDays to 8 or more" in weekly
    # The accepted counterparts: the same schedules kept long enough.
    assert parse(gcp_config(backups={"schedule": "@weekly", "retentionDays": 8})).backups.schedule == "@weekly"
    assert parse(gcp_config(backups={"schedule": "0 0 * * 0", "retentionDays": 14})).backups.retention_days == 14


def test_parsing_is_fast_enough_for_the_fuzz_test():
    """The day scan covers one 28-year cycle (10,227 days) per distinct schedule, cached."""
    import time

    start = time.perf_counter()
    for minute in range(60):
        cron.longest_gap(cron.parse(f"{minute} 0 * * 1-5"))
    assert time.perf_counter() - start < 3
