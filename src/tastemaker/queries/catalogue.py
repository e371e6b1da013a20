"""Tracks and artists as a reader asks for them: a track, its analysis and audio features, an
artist's top terms.

    >>> track(engine, "TR0042").artist
    >>> track_analysis(engine, "TR0042")["track"]["tempo"]
    >>> artist_terms(engine, "ABBA", kinds=("adj",), n=5).terms["adj"][0].term
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from ..engine import Engine
from ..errors import NotFoundError
from ..text.top import find_artist, top_terms


@dataclass(frozen=True)
class Track:
    track_id: str
    title: str | None
    artist_id: str | None
    artist: str | None
    album: str | None
    duration_ms: int | None
    released: dt.date | None
    style: str | None
    uri: str | None
    available: bool
    attributes: dict


@dataclass(frozen=True)
class Term:
    term: str
    weight: float
    support: int                       # documents (or taggers) about it that use the term


@dataclass(frozen=True)
class ArtistTerms:
    artist_id: str
    name: str
    track: str | None
    terms: dict[str, list[Term]]      # kind (n2, np, adj, unigram, tag) -> best first


def _track_index(engine: Engine, track_id: str) -> int:
    idx = engine.track_index(track_id)
    if idx is None:
        raise NotFoundError(f"No track {track_id!r} in the warehouse")
    return int(idx)


def track(engine: Engine, track_id: str) -> Track:
    """A track's catalogue row and artist; `NotFoundError` when unknown."""
    row = engine.track_details(_track_index(engine, track_id))
    attrs = row["attrs"]
    return Track(row["track_id"], row["title"], row["artist_id"], row["artist"], row["album"], row["duration_ms"],
                 row["released"], row["style"], row["uri"], bool(row["available"]),
                 json.loads(attrs) if isinstance(attrs, str) else (attrs or {}))


def _analysis(engine: Engine, track_id: str) -> tuple[str | None, str | None]:
    found = engine.track_analysis(_track_index(engine, track_id))
    if found is None:
        raise NotFoundError(f"Track {track_id!r} has no audio analysis: run tastemaker analyze on its audio "
                            f"(a file whose path is the track's uri, or named after its track_id)")
    return found


def track_analysis(engine: Engine, track_id: str) -> dict:
    """The track's audio-analysis document (The Echo Nest's shape: track, bars, beats, tatums,
    sections, segments) from its latest successful analysis."""
    return json.loads(_analysis(engine, track_id)[0])


def track_features(engine: Engine, track_id: str) -> dict:
    """The track's flat audio-features row (tempo, key, mode, loudness, energy, …)."""
    features = _analysis(engine, track_id)[1]
    return json.loads(features) if features else {}


@dataclass(frozen=True)
class Comention:
    artist_id: str
    name: str
    weight: float                      # time-decayed documents about both
    documents: int


def comentioned(engine: Engine, artist: str, n: int = 10) -> list[Comention]:
    """The artists most written about alongside `artist` (id or name), heaviest first; empty
    before `tastemaker text analyze`."""
    idx, _ = find_artist(engine, artist)
    found = engine.comentioned_artists(idx, n)
    names = engine.labels("artist", [i for i, _, _ in found])
    return [Comention(*names[i], float(w), int(d)) for i, w, d in found]


def artist_terms(engine: Engine, artist: str, *, kinds=("n2", "np", "adj"), n: int = 10,
                 track: str | None = None) -> ArtistTerms:
    """The top terms people use about an artist (or one of its tracks), by kind, best first."""
    idx, name = find_artist(engine, artist)
    found = top_terms(engine, artist, kinds=kinds, n=n, track=track)
    artist_id = engine.labels("artist", [idx])[idx][0]
    return ArtistTerms(artist_id, name, track, {k: [Term(t, w, s) for t, w, s in v] for k, v in found.items()})
