"""Timestamps as the contract writes them: RFC 3339 parsed and checked, the
sort key stored beside the text, and now as the shell writes it.

Imports nothing of the package, so a module that only stamps or sorts times
need not import the session models.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

# RFC 3339's date-time (section 5.6), with two allowances kept from before:
# a space for the "T" (the RFC's own note permits it, and chrono reads it) and
# no offset at all, read as UTC (stored data and tests hold such values). Any
# number of fraction digits is allowed (the shell writes nanoseconds); the sort
# key keeps microseconds, the rest is truncated, as it always was. Refused,
# though ``datetime.fromisoformat`` takes them: ISO week and ordinal dates,
# missing seconds, a decimal comma, offsets without a colon or with seconds.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})?",
    re.ASCII,
)


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp; a naive one is taken as UTC.

    The grammar gates, ``fromisoformat`` parses (and checks the ranges): what
    was accepted before parses to the same instant, so stored sort keys stay
    right. Upper-casing only turns RFC 3339's lowercase ``t``/``z`` into the
    letters ``fromisoformat`` knows; nothing else the grammar lets through has
    a case.
    """
    if _RFC3339.fullmatch(value) is not None:
        try:
            parsed = datetime.fromisoformat(value.upper())
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"{value!r} is not an RFC 3339 date-time such as 2026-01-13T10:00:00Z")


@functools.lru_cache(maxsize=8192)  # an import keys each message's timestamp twice
def timestamp_key(value: str) -> int:
    """Microseconds since the epoch: the sort key stored beside the original text."""
    delta = parse_timestamp(value) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def now_rfc3339() -> str:
    """Current UTC time the way the shell writes it (chrono's to_rfc3339)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
