"""Navidrome's SQLite database, read-only: its catalogue (``media_file``) and every user's
history (``scrobbles``, ``annotation``). The one place outside the engine that runs SQL: on
another application's database, never on the warehouse."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from .records import Play, epoch, utc


def _navidrome(path: Path):
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)      # read-only: the server's own file
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path} is not a SQLite database ({exc})") from exc
    if "media_file" not in tables:
        raise InputError(f"{path} has no media_file table: not a Navidrome database")
    return con, tables


def _columns(con, table: str) -> set[str]:
    return {r[1] for r in con.execute(f"PRAGMA table_info({table})")}


def navidrome_catalogue(path: Path) -> Iterator[dict]:
    """Every ``media_file`` of a Navidrome database as a catalogue row: its id (the server's song
    id, so that playlists can name it), title, artist, album, duration, path (as ``uri``),
    MusicBrainz recording id and, where the tags carry one, the ISRC."""
    con, _ = _navidrome(path)
    have = _columns(con, "media_file")
    mbid = next((c for c in ("mbz_recording_id", "mbz_track_id") if c in have), None)
    tags = "tags" if "tags" in have else None
    query = (f"SELECT id, title, artist, album, duration, path, year, genre, {mbid or 'NULL'}, {tags or 'NULL'} "
             f"FROM media_file ORDER BY id")
    try:
        for fid, title, artist, album, duration, fpath, year, genre, recording, tag_json in con.execute(query):
            isrc = None
            if tag_json:
                try:
                    found = json.loads(tag_json).get("isrc")
                    isrc = (found[0].get("value") if isinstance(found[0], dict) else found[0]) if found else None
                except (ValueError, AttributeError, IndexError, TypeError):
                    isrc = None
            yield {"track_id": fid, "title": title, "artist_name": artist, "album": album,
                   "duration_ms": int(duration * 1000) if duration else None, "uri": fpath,
                   "released": f"{year}-01-01" if year else None, "style": genre or None, "mbid": recording or None,
                   "isrc": isrc, "imported_from": "navidrome"}
    finally:
        con.close()


def navidrome(path: Path, user: str | None) -> Iterator[Play]:
    """Every user's history: one play per row of ``scrobbles`` where the server keeps them
    (0.55 and later), else each song's ``annotation`` play count at its last play date; a star is
    a save, a rating of 1 a dislike. Users by their ``user_name``."""
    con, tables = _navidrome(path)
    try:
        users = dict(con.execute("SELECT id, user_name FROM user")) if "user" in tables else {}
        line = 0
        scrobbled = "scrobbles" in tables and con.execute("SELECT count(*) FROM scrobbles").fetchone()[0] > 0
        if scrobbled:
            for fid, uid, when in con.execute(
                    "SELECT media_file_id, user_id, submission_time FROM scrobbles ORDER BY submission_time, rowid"):
                line += 1
                yield Play(line, user_id=users.get(uid, uid), ts=epoch(when), source_id=fid,
                           rejected=None if epoch(when) else f"bad submission_time {when!r}")
        if "annotation" not in tables:
            return
        for uid, fid, count, played, rating, starred, starred_at in con.execute(
                "SELECT user_id, item_id, play_count, play_date, rating, starred, starred_at FROM annotation "
                "WHERE item_type = 'media_file' ORDER BY user_id, item_id"):
            name = users.get(uid, uid)
            if not scrobbled and count:
                line += 1
                play = Play(line, user_id=name, ts=_sqlite_time(played), source_id=fid)
                play.count = int(count)
                yield play
            if starred:
                line += 1
                yield Play(line, user_id=name, kind="save", ts=_sqlite_time(starred_at) or _sqlite_time(played),
                           source_id=fid)
            if rating == 1:
                line += 1
                yield Play(line, user_id=name, kind="dislike", ts=_sqlite_time(played), source_id=fid)
    finally:
        con.close()


def _sqlite_time(value) -> str | None:
    if not value:
        return None
    try:
        return utc(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


