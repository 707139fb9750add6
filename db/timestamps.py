"""Timestamps are stored as fixed-width UTC ISO-8601 text so that SQL can compare them as strings
and a human browsing the database can still read them."""

from datetime import datetime, timezone

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> datetime:
    """The default clock; the store takes a clock argument so tests can travel in time."""
    return datetime.now(timezone.utc)


def to_db(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
    return moment.astimezone(timezone.utc).strftime(_FORMAT)


def from_db(text: str) -> datetime:
    return datetime.strptime(text, _FORMAT).replace(tzinfo=timezone.utc)
