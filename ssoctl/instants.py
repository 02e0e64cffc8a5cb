"""The one parser for instants: SAML's xs:dateTime values, metadata's validUntil, and
the --now / --at options.

`datetime.fromisoformat` differs between Python versions (3.10 takes neither 'Z' nor a
7-digit fraction such as .NET's `46.0000000Z`), so the text is normalized first: 'Z' to
+00:00, the fraction cut to microseconds. A value without a zone is UTC, as SAML's
"UTC form" intends and as SP libraries read it.
"""

from __future__ import annotations

import datetime as dt
import re

_INSTANT = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:[.,](?P<fraction>\d+))?)?"
    r"(?P<zone>Z|z|[+-]\d{2}:?\d{2})?"
)


def parse_instant(value: str | None) -> dt.datetime | None:
    """An aware UTC datetime, or None when `value` is empty or not an ISO 8601 instant."""
    if value is None:
        return None
    match = _INSTANT.fullmatch(value.strip())
    if match is None:
        return None
    text = match["date"] + "T" + (match["time"] or "00:00:00")
    if match["fraction"]:
        text += "." + match["fraction"][:6].ljust(6, "0")
    zone = match["zone"]
    if zone and zone not in ("Z", "z"):
        text += zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)
