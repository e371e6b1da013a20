"""Canonical columns of each ingest target, the names we recognise for them, and mapping options."""

from __future__ import annotations

import re

from ..errors import InputError, ParameterError

EVENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "user_id": ("user_id", "user", "userid", "username", "user_name", "listener", "listener_id", "uid"),
    "track_id": ("track_id", "track", "trackid", "song_id", "song", "songid", "item_id", "item",
                 "track_uri", "spotify_track_uri", "recording_id", "recording_msid"),
    "artist_id": ("artist_id", "artistid", "artist", "artist_name"),
    "kind": ("kind", "event", "event_type", "type", "action"),
    "ts": ("ts", "timestamp", "time", "datetime", "played_at", "listened_at", "end_time", "date"),
    "count": ("count", "plays", "play_count", "playcount", "listen_count", "weight", "n"),
    "ms_played": ("ms_played", "msplayed", "played_ms", "duration_played_ms", "ms"),
    # set by an importer on a row it leaves out (a podcast, an unmatched play): the reason
    "rejected": ("rejected", "reject_reason"),
}

CATALOG_COLUMNS: dict[str, tuple[str, ...]] = {
    "track_id": ("track_id", "track", "trackid", "song_id", "songid", "item_id", "id"),
    "title": ("title", "track_name", "name", "song_title", "track_title"),
    "artist_id": ("artist_id", "artistid"),
    "artist_name": ("artist_name", "artist", "artistname"),
    "album": ("album", "release", "album_name"),
    "duration_ms": ("duration_ms", "length_ms"),
    "duration": ("duration", "duration_s", "seconds", "length"),
    "released": ("released", "release_date", "released_at", "date", "year"),
    "style": ("style", "genre"),
    "uri": ("uri", "path", "location", "file", "url"),
    "available": ("available", "is_available", "playable"),
}

#: spellings of event kinds we accept, and what they mean
KIND_ALIASES = {
    "play": "play", "stream": "play", "listen": "play", "played": "play", "scrobble": "play",
    "save": "save", "saved": "save", "like": "save", "liked": "save", "add_to_playlist": "save",
    "playlist_add": "save", "favorite": "save", "favourite": "save",
    "skip": "skip", "skipped": "skip",
    "dislike": "dislike", "disliked": "dislike", "hate": "dislike", "thumbs_down": "dislike", "ban": "dislike",
    "love": "save", "loved": "save",
    "artist_visit": "artist_visit", "artist_page": "artist_visit", "visit": "artist_visit",
    "artist_page_visit": "artist_visit",
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def parse_mapping(items: list[str] | None, target: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """``["user_id=listener", …]`` → {"user_id": "listener"}, checking the canonical names."""
    out: dict[str, str] = {}
    for item in items or []:
        if "=" not in item:
            raise ParameterError(f"a column mapping reads CANONICAL=SOURCE (e.g. user_id=listener); got {item!r}")
        canon, source = (p.strip() for p in item.split("=", 1))
        if canon not in target:
            raise ParameterError(f"unknown column {canon!r} in mapping {item!r}; expected one of {list(target)}")
        out[canon] = source
    return out


def resolve_columns(found: list[str], target: dict[str, tuple[str, ...]], mapping: dict[str, str],
                    *, path, required: list[tuple[str, ...]]) -> dict[str, str]:
    """Canonical name → column of the file. ``required`` lists groups of which one must be present."""
    by_norm = {}
    for c in found:
        by_norm.setdefault(_norm(c), c)
    resolved: dict[str, str] = {}
    for canon, source in mapping.items():
        if not source:  # CANONICAL= (empty): the file has no such column; do not guess one
            continue
        if source not in found:
            raise InputError(f"{path}: mapped column {source!r} (for {canon}) is not in the file; "
                             f"its columns are {found}")
        resolved[canon] = source
    used = set(resolved.values())
    for canon, aliases in target.items():
        if canon in resolved or canon in mapping:
            continue
        for alias in aliases:
            col = by_norm.get(_norm(alias))
            if col is not None and col not in used:
                resolved[canon] = col
                used.add(col)
                break
    for group in required:
        if not any(g in resolved for g in group):
            names = " or ".join(group)
            raise InputError(f"{path}: no column for {names}; the file has columns {found}. "
                             f"Name one with --map {group[0]}=COLUMN")
    return resolved
