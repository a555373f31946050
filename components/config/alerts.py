"""Where the DR alerts go: `astronomer-dr:alerts` (optional, both clouds, primaries and standbys).

`alerts: {email: [<address>, ...]}`. Every DR alert the program declares (a Velero backup that
failed, is stale or empty, an unavailable backup location, failing kopia maintenance, a database
backup that failed or did not run, a standby replica behind its RPO, a failing registry
replication) reaches these addresses. Without the key, nothing is declared to deliver them and
the program warns once (`NO_ALERTS_WARNING`); the plan's DR summary says so too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..schema import Field, Problems, parse_object
from .shared import PROJECT, decode_object

ALERTS_KEY = "alerts"

# The address shape both clouds accept for an email subscription / notification channel: one
# local part, one domain with a dot. Deliberately narrower than RFC 5322 (no quotes, no comments).
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
# How far a standby's database may fall behind its primary before someone is told: the standby's
# recovery point is this lag when the region goes down (tools/plan/summary/standby.py).
REPLICA_LAG_RPO_SECONDS = 300

NO_ALERTS_WARNING = (
    f"{PROJECT}:{ALERTS_KEY} is not set: a failed, stale or empty backup and a lagging standby alert nobody; "
    f"set `{PROJECT}:{ALERTS_KEY}: {{email: [<address>]}}` (docs/MONITORING.md)"
)


def email_list(values: tuple[str, ...]) -> str | None:
    if not values:
        return "at least one address (leave the whole `alerts` key out to have no alerts)"
    bad = [v for v in values if not _EMAIL.match(v)]
    if bad:
        return f"every entry must be an email address such as oncall@example.com ({', '.join(bad)} is not)"
    if len(set(v.lower() for v in values)) != len(values):
        return "an address is listed twice"
    return None


ALERTS_FIELDS: dict[str, Field] = {
    "email": Field("list[str]", "addresses every DR alert is sent to", check=email_list),
}


@dataclass(frozen=True)
class AlertSettings:
    """Where DR alerts are delivered."""

    emails: tuple[str, ...]


def parse_alerts(ours: Mapping[str, Any], problems: Problems) -> AlertSettings | None:
    """The `alerts` key, or None when it is left out (then `NO_ALERTS_WARNING` is warned once)."""
    if ALERTS_KEY not in ours:
        return None
    full = f"{PROJECT}:{ALERTS_KEY}"
    parsed = parse_object(full, decode_object(full, ours.get(ALERTS_KEY), problems), ALERTS_FIELDS, problems)
    if parsed is None:
        return None
    return AlertSettings(emails=tuple(parsed["email"]))
