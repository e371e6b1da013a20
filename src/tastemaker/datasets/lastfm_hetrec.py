"""Last.fm HetRec 2011 (``hetrec2011-lastfm-2k``): artists as items, tags kept for the text model.

Data flow, in load order (every file straight from the dataset's folder, nothing rewritten):

1. ``artists.dat`` (id, name, url, pictureURL; UTF-8) → catalogue: one track per artist with
   ``track_id`` = ``artist_id`` = id and ``title`` = ``artists.name`` = name; url (the artist's
   Last.fm page, not audio, so not ``uri``) and pictureURL land in ``tracks.attrs``.
2. ``user_artists.dat`` (userID, artistID, weight) → ``play`` events with ``plays`` = weight, no
   timestamp (the dataset has none).
3. ``tags.dat`` (tagID, tagValue; **latin-1**) → the tag names, read for step 4.
4. ``user_taggedartists.dat`` (userID, artistID, tagID, day, month, year) → ``artist_tags``
   (artist, tagger, tag text, date, source ``lastfm-hetrec``). A tag on an artist that is not in
   ``artists.dat`` (1,538 assignments of 390 artists in the published files), or with a tagID
   missing from ``tags.dat``, is quarantined with its line.

``user_friends.dat`` (the social graph) is not loaded.
"""

from __future__ import annotations

from pathlib import Path

from ..engine import Engine
from ..errors import InputError
from ..ingest import FileReport, ReadOptions, ingest_catalog, ingest_events
from ..ingest.ledger import already_ingested, record_side_file, reject, skipped
from . import DatasetReport, folder_and_files, read_table

NAME = "lastfm-hetrec"
_TSV = ReadOptions(delimiter="\t")


def load(engine: Engine, path: Path) -> DatasetReport:
    folder, files = folder_and_files(path, NAME, ["user_artists.dat", "artists.dat"])
    tags, tagged = folder / "tags.dat", folder / "user_taggedartists.dat"
    if tagged.is_file() and not tags.is_file():
        raise InputError(f"{folder}: user_taggedartists.dat needs tags.dat (the tag names); it is missing.")
    report = DatasetReport(NAME, str(folder))
    report.add("artists", ingest_catalog(
        engine, [files["artists.dat"]], options=_TSV,
        mapping={"track_id": "id", "artist_id": "id", "title": "name", "artist_name": "name",
                 "uri": ""}).files[0])  # url is the artist's Last.fm page, not audio: to attrs
    report.add("plays", ingest_events(
        engine, [files["user_artists.dat"]], options=_TSV,
        mapping={"user_id": "userID", "track_id": "artistID", "artist_id": "artistID",
                 "count": "weight"}).files[0])
    if tagged.is_file():
        report.add("tags", load_tags(engine, tags, tagged, report.notes))
    else:
        report.notes.append("No user_taggedartists.dat: no tags loaded (the text model will lack them).")
    return report


def load_tags(engine: Engine, tags: Path, tagged: Path, notes: list[str]) -> FileReport:
    """``user_taggedartists.dat`` into ``artist_tags``, tag names from ``tags.dat`` (latin-1)."""
    sha, earlier = already_ingested(engine, tagged, "artist_tags")
    if earlier:
        return skipped(tagged, earlier)
    try:
        names_reader, names = read_table(tags, ReadOptions(delimiter="\t", encoding="latin-1"))
        if names_reader.bad_rows:
            first = names_reader.bad_rows[0]
            notes.append(f"tags.dat: {len(names_reader.bad_rows):,} malformed lines (first: line {first.line}, "
                         f"{first.reason}); tags with their ids are quarantined as unknown tagID.")
        missing = {"tagID", "tagValue"} - set(names_reader.columns)
        if missing:
            raise InputError(f"{tags}: expected columns tagID and tagValue; found {names_reader.columns}")
        reader, rows = read_table(tagged, _TSV)
        missing = {"userID", "artistID", "tagID", "day", "month", "year"} - set(reader.columns)
        if missing:
            raise InputError(f"{tagged}: missing columns {sorted(missing)}; found {reader.columns}")
    except InputError as exc:
        return reject(engine, tagged, sha, "artist_tags", str(exc))
    return record_side_file(engine, tagged, sha, "artist_tags", reader, stage=lambda file_id: engine.load_hetrec_tags(
        file_id, names, rows, reader.columns, NAME))
