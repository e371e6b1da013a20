"""Export a week's playlists: JSON, CSV, Parquet, M3U, XSPF, JSPF.

JSON, CSV and Parquet hold every user in one file (streamed: a million users never sit in
memory at once); M3U, XSPF and JSPF are playlist formats, one file per user in a folder. On the
Spark engine, Parquet is written by Spark to a folder under any path or URI it reaches
(`tastemaker.engine.spark.export`).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from xml.sax.saxutils import escape

import pyarrow as pa
import pyarrow.parquet as pq

from ..engine import Engine
from ..errors import InputError, NotFoundError, ParameterError

FORMATS = ("json", "csv", "parquet", "m3u", "xspf", "jspf")

COLUMNS = ["user_id", "position", "track_id", "title", "artist", "album", "duration_ms", "uri",
           "score", "source", "reason", "model_version"]

#: the Parquet export's columns (`COLUMNS`, typed)
SCHEMA = pa.schema([("user_id", pa.string()), ("position", pa.int16()), ("track_id", pa.string()),
                    ("title", pa.string()), ("artist", pa.string()), ("album", pa.string()),
                    ("duration_ms", pa.int64()), ("uri", pa.string()), ("score", pa.float32()),
                    ("source", pa.string()), ("reason", pa.string()), ("model_version", pa.string())])


def parquet_destination(out: str, week: str) -> str:
    """Where the week's Parquet goes: `out` itself when it names a ``.parquet``, else WEEK.parquet in it."""
    return out if out.rstrip("/").endswith(".parquet") else f"{out.rstrip('/')}/{week}.parquet"


def row_batches(engine: Engine, week: str, users: list[str] | None = None, batch: int = 100_000):
    """The week's rows as Arrow tables of `SCHEMA`, `batch` rows at a time, by user and position."""
    chunk = []
    for r in _week_rows(engine, week, users, batch):
        chunk.append(r)
        if len(chunk) == batch:
            yield _table(chunk)
            chunk = []
    if chunk:
        yield _table(chunk)


def _table(chunk) -> pa.Table:
    return pa.table({name: pa.array([r[i] for r in chunk], type=SCHEMA.field(name).type)
                     for i, name in enumerate(COLUMNS)}, schema=SCHEMA)


def weeks(engine: Engine) -> list[str]:
    return engine.playlist_weeks()


def rows(engine: Engine, week: str, users: list[str] | None = None, batch: int = 100_000):
    """Yield dict rows of a week in user and position order, streaming from the warehouse."""
    for r in _week_rows(engine, week, users, batch):
        yield dict(zip(COLUMNS, r))


def _week_rows(engine: Engine, week: str, users: list[str] | None, batch: int):
    """The week's row tuples (`COLUMNS`) from the warehouse; an unknown week is named."""
    found = weeks(engine)
    if week not in found:
        raise NotFoundError(f"No playlists for {week}; weeks in this warehouse: {found or 'none'}")
    yield from engine.playlist_rows(week, users, batch=batch)


def _per_user(records):
    user, items = None, []
    for r in records:
        if r["user_id"] != user and items:
            yield user, items
            items = []
        user = r["user_id"]
        items.append(r)
    if items:
        yield user, items


def export_week(engine: Engine, week: str, fmt: str, out: Path, users: list[str] | None = None, *,
                relative_to: Path | None = None) -> Path:
    """Write the week in `fmt` under `out` (a file for json/csv, a folder of one playlist per
    user for m3u/xspf/jspf). `relative_to`: a music folder; M3U locations under it are written
    relative to it (a player that mounts the folder elsewhere still finds them)."""
    if fmt not in FORMATS:
        raise ParameterError(f"The export format must be one of {FORMATS}. Got {fmt!r} instead.")
    out = Path(out)
    unknown = [u for u in users or [] if engine.user_index(u) is None]
    if unknown:
        raise NotFoundError(f"No such user{'s' if len(unknown) > 1 else ''}: {', '.join(map(repr, unknown))}")
    try:
        return _write(engine, week, fmt, out, users, relative_to)
    except (FileExistsError, NotADirectoryError) as exc:
        raise InputError(f"Cannot export to {out}: {exc.filename or out} is a file where a folder is "
                         f"needed. Give a folder, or a file name ending in .{fmt}") from exc
    except IsADirectoryError as exc:
        raise InputError(f"Cannot export to {out}: it is a folder; give a file name or "
                         f"another folder") from exc
    except PermissionError as exc:
        raise InputError(f"Cannot export to {out}: permission denied ({exc.filename}). "
                         f"Choose another --out") from exc
    except OSError as exc:
        raise InputError(f"Cannot export to {out}: {exc.strerror or exc}") from exc


def _write(engine: Engine, week: str, fmt: str, out: Path, users: list[str] | None,
           relative_to: Path | None = None) -> Path:
    if fmt == "parquet":
        path = Path(parquet_destination(str(out), week))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with pq.ParquetWriter(partial, SCHEMA) as w:
            for table in row_batches(engine, week, users):
                w.write_table(table)
        os.replace(partial, path)               # whole or not at all
        return path
    records = rows(engine, week, users)
    if fmt == "csv":
        path = out / f"{week}.csv" if out.suffix != ".csv" else out
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(records)
        return path
    if fmt == "json":
        path = out / f"{week}.json" if out.suffix != ".json" else out
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write('{"week": %s, "users": [\n' % json.dumps(week))
            for n, (user, items) in enumerate(_per_user(records)):
                tracks = [{k: v for k, v in r.items() if k != "user_id"} for r in items]
                f.write(("," if n else "") + json.dumps({"user_id": user, "tracks": tracks}) + "\n")
            f.write("]}\n")
        return path
    folder = out / f"{week}-{fmt}"
    folder.mkdir(parents=True, exist_ok=True)
    for user, items in _per_user(records):
        name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(user))
        mbids = engine.recording_ids([r["track_id"] for r in items]) if fmt == "jspf" else None
        text = (_m3u(items, relative_to) if fmt == "m3u" else _jspf(week, user, items, mbids) if fmt == "jspf"
                else _xspf(week, user, items))
        (folder / f"{name}.{fmt}").write_text(text, encoding="utf-8")
    return folder


#: one user's list as a playlist file: media type of each format
PLAYLIST_TYPES = {"jspf": "application/jspf+json", "xspf": "application/xspf+xml",
                  "m3u": "audio/x-mpegurl"}


def playlist(fmt: str, week: str, user, items, mbids: dict[str, str] | None = None) -> str:
    """One user's list (dicts with track_id, title, artist, album, duration_ms, uri, reason) as
    JSPF (the JSON form of XSPF that ListenBrainz uses), XSPF or M3U text. `mbids`: the tracks'
    MusicBrainz recording ids, which JSPF names as recording URLs."""
    if fmt == "m3u":
        return _m3u(items)
    if fmt == "xspf":
        return _xspf(week, user, items)
    if fmt == "jspf":
        return _jspf(week, user, items, mbids)
    raise ParameterError(f"A playlist format is one of {', '.join(PLAYLIST_TYPES)}. Got {fmt!r} instead.")


def _jspf(week, user, items, mbids: dict[str, str] | None) -> str:
    """As ListenBrainz writes playlists: ``identifier`` an array of recording URLs (the
    MusicBrainz recording when known, then the track's own id)."""
    mbids = mbids or {}

    def identifiers(r):
        mine = [f"tastemaker:track:{r['track_id']}"]
        return ([f"https://musicbrainz.org/recording/{mbids[r['track_id']]}"] if r["track_id"] in mbids else []) + mine
    return json.dumps({"playlist": {
        "title": f"Discover Weekly {week} for {user}", "creator": "tastemaker",
        "track": [{k: v for k, v in (("title", r["title"]), ("creator", r["artist"]), ("album", r["album"]),
                                     ("duration", int(r["duration_ms"]) if r["duration_ms"] else None),
                                     ("identifier", identifiers(r)), ("location", [_location(r)]),
                                     ("annotation", r["reason"]))
                   if v is not None} for r in items]}}, indent=1)


def _location(r, relative_to: Path | None = None) -> str:
    uri = r["uri"]
    if uri and relative_to is not None:
        try:
            return Path(uri).resolve().relative_to(Path(relative_to).resolve()).as_posix()
        except ValueError:
            return uri                      # not under the folder: as it is
    return uri or f"tastemaker:track:{r['track_id']}"


def _m3u(items, relative_to: Path | None = None) -> str:
    lines = ["#EXTM3U"]
    for r in items:
        seconds = int(r["duration_ms"] / 1000) if r["duration_ms"] else -1
        lines.append(f"#EXTINF:{seconds},{r['artist'] or ''} - {r['title'] or r['track_id']}")
        lines.append(_location(r, relative_to))
    return "\n".join(lines) + "\n"


def _xspf(week, user, items) -> str:
    tracks = []
    for r in items:
        parts = [f"<location>{escape(_location(r))}</location>",
                 f"<identifier>{escape(str(r['track_id']))}</identifier>"]
        if r["title"]:
            parts.append(f"<title>{escape(r['title'])}</title>")
        if r["artist"]:
            parts.append(f"<creator>{escape(r['artist'])}</creator>")
        if r["album"]:
            parts.append(f"<album>{escape(r['album'])}</album>")
        if r["duration_ms"]:
            parts.append(f"<duration>{int(r['duration_ms'])}</duration>")
        parts.append(f"<annotation>{escape(r['reason'])}</annotation>")
        tracks.append("    <track>" + "".join(parts) + "</track>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<playlist version="1" xmlns="http://xspf.org/ns/0/">\n'
            f"  <title>Discover Weekly {escape(week)} for {escape(str(user))}</title>\n"
            "  <trackList>\n" + "\n".join(tracks) + "\n  </trackList>\n</playlist>\n")
