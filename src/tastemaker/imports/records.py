"""One record of an export, whatever the source: a play (or skip, save, dislike) and what the
source says of its track; and the time conversions the readers share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass
class Play:
    line: int                                # the record's number in its file (1-based)
    user_id: str | None = None
    ts: str | None = None                    # ISO 8601, UTC
    kind: str = "play"                       # play | skip | save | dislike
    ms_played: int | None = None
    count: int = 1                           # times (a play count summed by the source)
    artist: str | None = None
    title: str | None = None
    album: str | None = None
    duration_ms: int | None = None
    source_id: str | None = None             # the source's own id of the track (a Spotify URI, …)
    mbid: str | None = None                  # MusicBrainz recording id
    isrc: str | None = None
    rejected: str | None = None              # why it is left out


def utc(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="seconds")


def epoch(value) -> str | None:
    try:
        return utc(dt.datetime.fromtimestamp(int(value), dt.timezone.utc))
    except (TypeError, ValueError, OverflowError, OSError):
        return None
